import Foundation
import HTTPTypes
import Hummingbird
import Logging
import WharfHTTP
import WharfDomain

/// Serves the Portus API from its route table: authenticates `Portus-Auth`, applies each endpoint's
/// access level, and renders failures as Portus does (`{"message": …}` with the CORS headers).
///
/// The Portus and Quay APIs share `/api/v1`. A request goes to Portus when it carries `Portus-Auth`, or
/// when its path is one of Portus's and none of Quay's (`WharfResponder` applies the rule).
public struct PortusAPIHandler: Sendable {
    let table: RouteTable<PortusRequest, Void>
    let services: PortusServices
    let logger: Logger

    public static let authHeader = HTTPField.Name("Portus-Auth")!

    public init(services: PortusServices, logger: Logger) {
        table = RouteTable(PortusRouteTable.routes(services))
        self.services = services
        self.logger = logger
    }

    /// Whether the request names the Portus API by its header.
    public static func isAddressed(_ request: Request) -> Bool {
        request.headers[authHeader] != nil && request.uri.path.hasPrefix("/api/")
    }

    /// Whether one of Portus's routes has this path (with `method`, or with any method when it is nil).
    public func serves(_ path: String, method: HTTPRequest.Method? = nil) -> Bool {
        table.serves(path, method: method)
    }

    /// Answers one Portus API request.
    public func respond(to request: Request, context: CallContext) async -> Response {
        if request.method == .options { return PortusJSON.empty() }
        switch table.lookup(request.method, request.uri.path) {
        case .notFound:
            return PortusAPIError.notFound.response()
        case .methodNotAllowed:
            return PortusAPIError(.methodNotAllowed, "405 Not Allowed").response()
        case .found(let route, let path):
            do {
                try EdgeError.checkText(of: request)
                let caller = try await authenticate(request, callers: route.access.callers)
                context.identify(caller.account?.username)
                let params = try await PortusParameters.read(request)
                return try await route.handler(PortusRequest(request: request, path: path, caller: caller, params: params, context: context))
            } catch {
                return render(error, request: request, context: context)
            }
        }
    }

    /// The caller from `Portus-Auth: <username>:<application token>`; open endpoints also take callers
    /// without the header (or with a wrong one) as anonymous.
    private func authenticate(_ request: Request, callers: RouteAccess.Callers) async throws -> Identity {
        var identity: Identity?
        if let header = request.headers[Self.authHeader] {
            let parts = header.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if parts.count >= 2 {
                identity = try await services.authenticator.authenticate(username: String(parts[0]), appToken: String(parts[1]))
            }
        }
        switch callers {
        case .anyone: return identity ?? .anonymous
        case .user:
            guard let identity else { throw PortusAPIError.authenticationFails }
            return identity
        case .admin:
            guard let identity else { throw PortusAPIError.authenticationFails }
            guard services.policy.isAdmin(identity) else { throw PortusAPIError.authorizationFails }
            return identity
        }
    }

    /// Renders any failure as Portus does; unexpected errors are logged and answered with a 500.
    func render(_ error: any Error, request: Request, context: CallContext) -> Response {
        switch error {
        case let error as PortusAPIError: return error.response()
        case let error as DomainError: return PortusAPIError(error).response()
        case let error as AccountError: return PortusAPIError(error).response()
        case let error where EdgeError(error) != nil:
            let edge = EdgeError(error)!
            var response = PortusAPIError(edge.status, edge.message).response()
            response.headers.append(contentsOf: edge.headers)
            return response
        default:
            context.logger.error("Portus API request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return PortusAPIError(.internalServerError, "Internal Server Error").response()
        }
    }
}
