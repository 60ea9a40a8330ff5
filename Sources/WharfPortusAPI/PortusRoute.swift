import HTTPTypes
import Hummingbird
import WharfDomain
import WharfHTTP

/// One endpoint of the Portus API: the shared route type with Grape's path rules (empty components are
/// ignored) and who may call it (`.anyone`, `.user` with `Portus-Auth`, `.admin`); Portus documents
/// nothing more per route.
typealias PortusRoute = APIRoute<PortusRequest, Void>

extension APIRoute where Call == PortusRequest, Documentation == Void {
    init(_ method: HTTPRequest.Method, _ path: String, _ callers: RouteAccess.Callers, handler: @escaping Handler) {
        self.init(method, PathTemplate(path, strictSlashes: false), access: RouteAccess(callers), documentation: (), handler: handler)
    }
}

/// A request matched to a Portus route, with its caller and parameters.
struct PortusRequest: Sendable {
    let request: Request
    let path: [String: String]
    /// The caller (anonymous on open endpoints called without `Portus-Auth`).
    let caller: Identity
    let params: PortusParameters
    /// The request's id, logger and peer.
    let context: CallContext

    var performer: Performer { Performer(identity: caller, ip: context.remoteIP) }

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
