import Foundation
import HTTPTypes
import Hummingbird
import Logging
import WharfHTTP
import WharfDomain

/// Serves `/api/v1` from a route table: identifies the caller, checks the CSRF token of session
/// writes, runs the route, and renders failures in Quay's error shapes.
public struct QuayAPIHandler: Sendable {
    let routes: [QuayRoute]
    let services: QuayServices
    let logger: Logger

    /// `routes` are tried most specific first (more literal path segments), as Flask orders its rules, so
    /// `/repository/{repository}/changestate` wins over `/repository/{repository}` whose multi-segment
    /// parameter would also match it.
    public init(routes: [QuayRoute], services: QuayServices, logger: Logger) {
        self.routes = routes.enumerated().sorted { lhs, rhs in
            lhs.element.literalCount != rhs.element.literalCount ? lhs.element.literalCount > rhs.element.literalCount : lhs.offset < rhs.offset
        }.map(\.element)
        self.services = services
        self.logger = logger
    }

    /// Whether `path` belongs to the Quay API.
    public static func handles(_ path: String) -> Bool { path.hasPrefix("/api/v1/") }

    /// Whether a route of the Quay API has this path (with `method`, or with any method when it is nil),
    /// or has the path with a trailing slash (which Quay answers with a redirect).
    public func serves(_ path: String, method: HTTPRequest.Method? = nil) -> Bool {
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0 }
        return routes.contains { route in
            (method == nil || route.method == method)
                && (route.match(components) != nil || (!path.hasSuffix("/") && route.match(components + [""]) != nil))
        }
    }

    /// Answers one `/api/v1` request from the peer at `remoteIP`.
    public func respond(to request: Request, remoteIP: String?) async -> Response {
        let components = request.uri.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0 }
        var pathMatched = false
        for route in routes {
            guard let parameters = route.match(components) else { continue }
            pathMatched = true
            guard route.method == request.method else { continue }
            do {
                try EdgeError.checkText(of: request)
                let caller = try await APICaller.resolve(request, ip: remoteIP, services: services)
                if !route.csrfExempt { try caller.checkCSRF(request) }
                return try await route.handler(QuayRequest(request: request, parameters: parameters, caller: caller))
            } catch {
                return render(error, request: request)
            }
        }
        if !pathMatched, !request.uri.path.hasSuffix("/"), routes.contains(where: { $0.match(components + [""]) != nil }) {
            return redirectToTrailingSlash(request)
        }
        let error = pathMatched
            ? QuayAPIError.message(405, "The method is not allowed for the requested URL.")
            : QuayAPIError.message(501, "\(request.method) \(request.uri.path) is not supported by Wharf yet")
        return render(error, request: request)
    }

    /// Quay's routes that end in `/` answer the path without it with a 308 to the slashed path (Flask's
    /// `strict_slashes`), which clients follow with the same method and body.
    private func redirectToTrailingSlash(_ request: Request) -> Response {
        var location = request.uri.path + "/"
        if let query = request.uri.query, !query.isEmpty { location += "?" + query }
        return Responses.empty(.permanentRedirect, headers: [.location: location])
    }

    /// Renders any failure in Quay's shapes; unexpected errors are logged and answered with a 500.
    public func render(_ error: any Error, request: Request) -> Response {
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
            logger.error("API request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return QuayAPIError.message(500, "Internal Server Error").response(host: host, scheme: scheme)
        }
    }
}
