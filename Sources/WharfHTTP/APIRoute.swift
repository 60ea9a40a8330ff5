import HTTPTypes
import Hummingbird
import WharfDomain

/// One endpoint of an HTTP API, the same type for the Quay and the Portus API: its method, its path
/// template, who may call it before the access policy decides on the resource, what documents it, and
/// its handler. An API's route table is the single description of that API.
public struct APIRoute<Call: Sendable, Documentation: Sendable>: Sendable {
    public typealias Handler = @Sendable (Call) async throws -> Response

    public let method: HTTPRequest.Method
    public let template: PathTemplate
    public let access: RouteAccess
    public let documentation: Documentation
    public let handler: Handler

    public init(_ method: HTTPRequest.Method, _ template: PathTemplate, access: RouteAccess, documentation: Documentation,
                handler: @escaping Handler) {
        self.method = method
        self.template = template
        self.access = access
        self.documentation = documentation
        self.handler = handler
    }

    /// The template's path (`/api/v1/user/{username}`).
    public var path: String { template.path }
}

/// Who may call an endpoint, checked before its handler runs; what the caller may do with the resource
/// the endpoint names, the access policy decides inside.
public struct RouteAccess: Sendable {
    /// The callers let through.
    public enum Callers: Sendable {
        /// Anyone, signed in or not.
        case anyone
        /// Callers with valid credentials.
        case user
        /// Administrators (superusers) only.
        case admin
    }

    public var callers: Callers
    /// The OAuth scope a token must carry (Quay's `require_scope`); nil: none.
    public var scope: Scope?
    /// Whether a session caller may write without the CSRF token (signing in itself).
    public var csrfExempt: Bool

    public init(_ callers: Callers, scope: Scope? = nil, csrfExempt: Bool = false) {
        self.callers = callers
        self.scope = scope
        self.csrfExempt = csrfExempt
    }
}

/// A path template: fixed components and `{parameters}`; a parameter named in `spanning` may cover
/// several components (Quay's `{repository}` is `namespace/name`). With `strictSlashes` (Quay, as Flask)
/// a trailing slash is part of the path; otherwise (Portus, as Grape) empty components are ignored.
public struct PathTemplate: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        case spanning(String)
    }

    public let path: String
    let segments: [Segment]
    let strictSlashes: Bool

    public init(_ path: String, spanning: Set<String> = [], strictSlashes: Bool) {
        self.path = path
        self.strictSlashes = strictSlashes
        segments = Self.components(of: path, strictSlashes: strictSlashes).map { part in
            guard part.hasPrefix("{") && part.hasSuffix("}") else { return .literal(String(part)) }
            let name = String(part.dropFirst().dropLast())
            return spanning.contains(name) ? .spanning(name) : .parameter(name)
        }
    }

    static func components(of path: String, strictSlashes: Bool) -> [Substring] {
        strictSlashes ? Array(path.split(separator: "/", omittingEmptySubsequences: false).dropFirst())
                      : path.split(separator: "/")
    }

    /// The names of the path parameters, in order.
    public var parameterNames: [String] {
        segments.compactMap { segment in
            switch segment {
            case .literal: nil
            case .parameter(let name), .spanning(let name): name
            }
        }
    }

    /// How many components are fixed text (more means more specific).
    public var literalCount: Int {
        segments.filter { if case .literal = $0 { true } else { false } }.count
    }

    /// The path parameters (percent-decoded) when `requestPath` matches the template.
    public func match(_ requestPath: String) -> [String: String]? {
        let components = Self.components(of: requestPath, strictSlashes: strictSlashes)
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
            case .spanning(let name):
                let take = components.count - index - (segments.count - position - 1)
                guard take >= 2 else { return nil }
                parameters[name] = components[index..<(index + take)].joined(separator: "/")
                index += take
            }
        }
        return index == components.count ? parameters : nil
    }
}

/// An API's routes, most specific first (more fixed components; then in table order), as Flask and
/// Grape order theirs: `/repository/{repository}/changestate` wins over `/repository/{repository}`,
/// whose spanning parameter would also match it.
public struct RouteTable<Call: Sendable, Documentation: Sendable>: Sendable {
    public typealias Route = APIRoute<Call, Documentation>
    public let routes: [Route]

    public init(_ routes: [Route]) {
        self.routes = routes.enumerated().sorted { lhs, rhs in
            lhs.element.template.literalCount != rhs.element.template.literalCount
                ? lhs.element.template.literalCount > rhs.element.template.literalCount : lhs.offset < rhs.offset
        }.map(\.element)
    }

    /// What a request finds in the table.
    public enum Lookup: Sendable {
        case found(Route, parameters: [String: String])
        /// A route has the path, none the method.
        case methodNotAllowed
        case notFound
    }

    public func lookup(_ method: HTTPRequest.Method, _ path: String) -> Lookup {
        var pathMatched = false
        for route in routes {
            guard let parameters = route.template.match(path) else { continue }
            if route.method == method { return .found(route, parameters: parameters) }
            pathMatched = true
        }
        return pathMatched ? .methodNotAllowed : .notFound
    }

    /// Whether a route has this path (with `method`, or with any method when it is nil).
    public func serves(_ path: String, method: HTTPRequest.Method? = nil) -> Bool {
        routes.contains { (method == nil || $0.method == method) && $0.template.match(path) != nil }
    }
}
