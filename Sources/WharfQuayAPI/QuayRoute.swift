import HTTPTypes
import Hummingbird
import WharfDomain
import WharfHTTP

/// What the discovery document says of a Quay endpoint, and whether Wharf serves it.
public struct QuayDocumentation: Sendable {
    /// Quay's operation id (the name the discovery document uses).
    public let operationID: String
    public let summary: String
    /// The query parameters the handler reads.
    public let query: [QuayParameter]
    /// The JSON body the handler reads.
    public let body: QuayBodySchema?
    public let availability: QuayAvailability
}

/// What a Quay route does with a request.
public enum QuayAvailability: Sendable {
    /// Served.
    case served
    /// Retired in Quay: answered as a current Quay answers (410, 404, 501).
    case retired
    /// Documented by Quay but not served by Wharf yet: a clear 501.
    case pending
}

/// One endpoint of the Quay API: the shared route type with Quay's path rules (a trailing slash is
/// significant, as in Flask; `{repository}` spans `namespace/name`), the OAuth scope Quay documents for
/// it, and its discovery documentation. The route table is the single description of the API.
public typealias QuayRoute = APIRoute<QuayRequest, QuayDocumentation>

extension APIRoute where Call == QuayRequest, Documentation == QuayDocumentation {
    public typealias Availability = QuayAvailability

    public init(_ method: HTTPRequest.Method, _ path: String, operationID: String, summary: String, scope: Scope? = nil,
                query: [QuayParameter] = [], body: QuayBodySchema? = nil, availability: Availability = .served, csrfExempt: Bool = false,
                handler: @escaping Handler) {
        self.init(method, PathTemplate(path, spanning: ["repository"], strictSlashes: true),
                  access: RouteAccess(.anyone, scope: scope, csrfExempt: csrfExempt),
                  documentation: QuayDocumentation(operationID: operationID, summary: summary, query: query, body: body,
                                                   availability: availability),
                  handler: handler)
    }

    public var operationID: String { documentation.operationID }
    public var summary: String { documentation.summary }
    /// The scope Quay's documentation lists for the endpoint (nil: none).
    public var scope: Scope? { access.scope }
    public var query: [QuayParameter] { documentation.query }
    public var body: QuayBodySchema? { documentation.body }
    public var availability: Availability { documentation.availability }
    /// The names of the path parameters, in order.
    public var pathParameters: [String] { template.parameterNames }

    /// The handler of a documented endpoint Wharf does not serve yet: a clear 501.
    public static var notSupportedYet: Handler {
        { call in throw QuayAPIError.message(501, "\(call.request.method) \(call.request.uri.path) is not supported by Wharf yet") }
    }
}

/// A request matched to a Quay route, with its caller.
public struct QuayRequest: Sendable {
    public let request: Request
    public let parameters: [String: String]
    public let caller: APICaller
    /// The request's id, logger and peer.
    public let context: CallContext

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
