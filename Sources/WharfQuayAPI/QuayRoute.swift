import HTTPTypes
import Hummingbird
import WharfDomain

/// One endpoint of the Quay API: its method, its path template (`/api/v1/user/{username}`, trailing slash
/// significant, as in Quay), the OAuth scope Quay documents for it, and its handler. The route table is
/// the single description of the API.
public struct QuayRoute: Sendable {
    public typealias Handler = @Sendable (QuayRequest) async throws -> Response

    public let method: HTTPRequest.Method
    public let path: String
    /// Quay's operation id (the name the discovery document uses).
    public let operationID: String
    public let summary: String
    /// The scope Quay's documentation lists for the endpoint (nil: none).
    public let scope: Scope?
    /// The query parameters the handler reads, for the discovery document.
    public let query: [QuayParameter]
    /// The JSON body the handler reads, for the discovery document.
    public let body: QuayBodySchema?
    /// Whether Wharf serves the endpoint, answers it as retired, or does not serve it yet.
    public let availability: Availability
    /// Whether a session caller may skip the CSRF token (sign-in itself).
    let csrfExempt: Bool
    let segments: [Segment]
    let handler: Handler

    /// What a route does with a request.
    public enum Availability: Sendable {
        /// Served.
        case served
        /// Retired in Quay: answered as a current Quay answers (410, 404, 501).
        case retired
        /// Documented by Quay but not served by Wharf yet: a clear 501.
        case pending
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        /// A parameter that may span several path components (`{repository}` is `namespace/name`).
        case path(String)
    }

    public init(_ method: HTTPRequest.Method, _ path: String, operationID: String, summary: String, scope: Scope? = nil,
                query: [QuayParameter] = [], body: QuayBodySchema? = nil, availability: Availability = .served, csrfExempt: Bool = false,
                handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.operationID = operationID
        self.summary = summary
        self.scope = scope
        self.query = query
        self.body = body
        self.availability = availability
        self.csrfExempt = csrfExempt
        self.handler = handler
        segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { part in
            if part.hasPrefix("{") && part.hasSuffix("}") {
                let name = String(part.dropFirst().dropLast())
                return name == "repository" ? .path(name) : .parameter(name)
            }
            return .literal(String(part))
        }
    }

    /// The names of the path parameters, in order.
    public var pathParameters: [String] {
        segments.compactMap { segment in
            switch segment {
            case .literal: nil
            case .parameter(let name), .path(let name): name
            }
        }
    }

    /// How many path segments are fixed text (more means more specific).
    var literalCount: Int {
        segments.filter { if case .literal = $0 { return true } else { return false } }.count
    }

    /// The handler of a documented endpoint Wharf does not serve yet: a clear 501.
    public static let notSupportedYet: Handler = { call in
        throw QuayAPIError.message(501, "\(call.request.method) \(call.request.uri.path) is not supported by Wharf yet")
    }

    /// The path parameters when `components` (the request path split on `/`) matches this route.
    func match(_ components: [Substring]) -> [String: String]? {
        var parameters: [String: String] = [:]
        var index = 0
        for (position, segment) in segments.enumerated() {
            switch segment {
            case .literal(let text):
                guard index < components.count, components[index] == text else { return nil }
                index += 1
            case .parameter(let name):
                guard index < components.count, !components[index].isEmpty else { return nil }
                parameters[name] = String(components[index]).removingPercentEncoding ?? String(components[index])
                index += 1
            case .path(let name):
                let remaining = segments.count - position - 1
                let take = components.count - index - remaining
                guard take >= 2 else { return nil }
                parameters[name] = components[index..<(index + take)].joined(separator: "/")
                index += take
            }
        }
        return index == components.count ? parameters : nil
    }
}

/// A request matched to a Quay route, with its caller.
public struct QuayRequest: Sendable {
    public let request: Request
    public let parameters: [String: String]
    public let caller: APICaller

    /// A path parameter that the route's template guarantees.
    public func parameter(_ name: String) -> String { parameters[name] ?? "" }

    /// A query parameter.
    public func query(_ name: String) -> String? { request.uri.queryParameters.get(name) }

    /// An integer query parameter, nil when absent; anything else is refused as Flask's reqparse does.
    public func integer(_ name: String) throws -> Int? {
        guard let text = query(name) else { return nil }
        guard let value = Int(text) else { throw QuayAPIError.message(400, "\(name): invalid literal for int() with base 10: '\(text)'") }
        return value
    }

    /// A boolean query parameter (`true`/`false`, `1`/`0`), `defaultValue` when absent.
    public func flag(_ name: String, default defaultValue: Bool) -> Bool {
        guard let value = query(name)?.lowercased() else { return defaultValue }
        return ["true", "1", "yes", "on"].contains(value)
    }
}
