import Hummingbird
import WharfHTTP
import WharfQuayAPI
import WharfRegistry

/// Sends each request to the API it belongs to.
struct WharfResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let registry: RegistryHandler
    let quay: QuayAPIHandler

    func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        if RegistryHandler.handles(path) { return await registry.respond(to: request) }
        if QuayAPIHandler.handles(path) { return await quay.respond(to: request) }
        return Responses.json(.notFound, encoding: ["message": "Not Found"])
    }
}
