import Foundation
import HTTPTypes
import Hummingbird
import Logging
import WharfHTTP
import WharfDomain

/// Serves `/api/v1` from a route table: identifies the caller, checks the CSRF token of session
/// writes, runs the route, and renders failures in Quay's error shapes.
public struct QuayAPIHandler: Sendable {
    let table: RouteTable<QuayRequest, QuayDocumentation>
    let services: QuayServices
    let logger: Logger

    public init(routes: [QuayRoute], services: QuayServices, logger: Logger) {
        table = RouteTable(routes)
        self.services = services
        self.logger = logger
    }

    /// Whether `path` belongs to the Quay API.
    public static func handles(_ path: String) -> Bool { path.hasPrefix("/api/v1/") }

    /// Whether a route of the Quay API has this path (with `method`, or with any method when it is nil),
    /// or has the path with a trailing slash (which Quay answers with a redirect).
    public func serves(_ path: String, method: HTTPRequest.Method? = nil) -> Bool {
        table.serves(path, method: method) || (!path.hasSuffix("/") && table.serves(path + "/", method: method))
    }

    /// Answers one `/api/v1` request.
    public func respond(to request: Request, context: CallContext) async -> Response {
        switch table.lookup(request.method, request.uri.path) {
        case .found(let route, let parameters):
            do {
                try EdgeError.checkText(of: request)
                let caller = try await APICaller.resolve(request, ip: context.remoteIP, services: services)
                context.identify(caller.identity.account?.username)
                if !route.access.csrfExempt { try caller.checkCSRF(request) }
                return try await route.handler(QuayRequest(request: request, parameters: parameters, caller: caller, context: context))
            } catch {
                return render(error, request: request, context: context)
            }
        case .methodNotAllowed:
            return render(QuayAPIError.message(405, "The method is not allowed for the requested URL."), request: request, context: context)
        case .notFound:
            if !request.uri.path.hasSuffix("/"), table.serves(request.uri.path + "/") { return redirectToTrailingSlash(request) }
            return render(QuayAPIError.message(501, "\(request.method) \(request.uri.path) is not supported by Wharf yet"),
                          request: request, context: context)
        }
    }

    /// Quay's routes that end in `/` answer the path without it with a 308 to the slashed path (Flask's
    /// `strict_slashes`), which clients follow with the same method and body.
    private func redirectToTrailingSlash(_ request: Request) -> Response {
        var location = request.uri.path + "/"
        if let query = request.uri.query, !query.isEmpty { location += "?" + query }
        return Responses.empty(.permanentRedirect, headers: [.location: location])
    }

    /// Renders any failure in Quay's shapes; unexpected errors are logged and answered with a 500.
    public func render(_ error: any Error, request: Request, context: CallContext) -> Response {
        let host = services.settings.serverHostname, scheme = services.settings.urlScheme
        switch error {
        case let error as QuayAPIError: return error.response(host: host, scheme: scheme)
        case let error as DomainError: return QuayAPIError(error).response(host: host, scheme: scheme)
        case let error as AccountError: return QuayAPIError(error).response(host: host, scheme: scheme)
        case let error as LoginThrottle.TooManyAttempts:
            var response = QuayJSON.response(.tooManyRequests, ["message": "Too many login attempts.", "retry_after": error.retryAfter])
            response.headers[.retryAfter] = String(error.retryAfter)
            return response
        case let error where EdgeError(error) != nil:
            let edge = EdgeError(error)!
            let shaped: QuayAPIError = if case .badRequest(let message) = edge {
                .invalidRequest(message)
            } else {
                .message(Int(edge.status.code), edge.message)
            }
            var response = shaped.response(host: host, scheme: scheme)
            response.headers.append(contentsOf: edge.headers)
            return response
        default:
            context.logger.error("API request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return QuayAPIError.message(500, "Internal Server Error").response(host: host, scheme: scheme)
        }
    }
}
