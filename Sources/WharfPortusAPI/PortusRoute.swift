import HTTPTypes
import Hummingbird
import WharfDomain

/// One endpoint of the Portus API: its method, its path template (`/api/v1/teams/{id}/members`), who
/// may call it, and its handler.
struct PortusRoute: Sendable {
    typealias Handler = @Sendable (PortusRequest) async throws -> Response

    /// Who may call an endpoint before its own policy decides.
    enum Access: Sendable {
        /// No authentication (`_ping`, `health`, `users/bootstrap`).
        case anyone
        /// Any user with a valid `Portus-Auth` header.
        case user
        /// Portus administrators (superusers) only.
        case admin
    }

    let method: HTTPRequest.Method
    let access: Access
    let handler: Handler
    let segments: [Segment]

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    init(_ method: HTTPRequest.Method, _ path: String, _ access: Access, handler: @escaping Handler) {
        self.method = method
        self.access = access
        self.handler = handler
        segments = path.split(separator: "/").map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? .parameter(String(part.dropFirst().dropLast())) : .literal(String(part))
        }
    }

    /// How many segments are fixed text (more means more specific).
    var literalCount: Int { segments.filter { if case .literal = $0 { true } else { false } }.count }

    /// The path parameters when `components` (the path split on `/`, empty parts dropped) match.
    func match(_ components: [Substring]) -> [String: String]? {
        guard components.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, component) in zip(segments, components) {
            switch segment {
            case .literal(let text): guard component == text else { return nil }
            case .parameter(let name): parameters[name] = String(component).removingPercentEncoding ?? String(component)
            }
        }
        return parameters
    }
}

/// A request matched to a Portus route, with its caller and parameters.
struct PortusRequest: Sendable {
    let request: Request
    let path: [String: String]
    /// The caller (anonymous on open endpoints called without `Portus-Auth`).
    let caller: Identity
    let params: PortusParameters
    let ip: String?

    var performer: Performer { Performer(identity: caller, ip: ip) }

    /// The numeric path parameter `name`; anything else names nothing (404).
    func id(_ name: String = "id") throws -> Int64 {
        guard let value = path[name].flatMap({ Int64($0) }) else { throw PortusAPIError.notFound }
        return value
    }

    /// The query parameters as given, for pagination links.
    var queryItems: [(String, String)] {
        request.uri.queryParameters.map { (String($0.key), String($0.value)) }
    }
}
