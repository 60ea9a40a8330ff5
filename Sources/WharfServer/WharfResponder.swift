import Foundation
import Hummingbird
import Logging
import WharfHTTP
import WharfMetadata
import WharfPortusAPI
import WharfQuayAPI
import WharfRegistry

/// Sends each request to the API it belongs to. The Quay and Portus APIs share `/api/v1`: a request with
/// a `Portus-Auth` header is Portus's; otherwise a method and path that a Quay route has are Quay's
/// (`GET /api/v1/users/{username}`), a method and path that only Portus has are Portus's
/// (`POST /api/v1/users/bootstrap`, `/api/v1/namespaces`, `/api/version`, …), and anything else under
/// `/api/v1` gets Quay's answer (its 404, 405 or 501).
struct WharfResponder: HTTPResponder {
    typealias Context = WharfRequestContext
    let registry: RegistryHandler
    let quay: QuayAPIHandler
    let portus: PortusAPIHandler
    let oauth: OAuthHandler
    /// Where exported log documents are read from.
    let store: MetadataStore
    /// The server's logger, which each request's context tags with its id.
    let logger: Logger

    /// Routes the request with its context (request id, peer, logger), writes its access-log line, and
    /// tells an HTTP/1.0 client that asks to keep the connection that it is kept (RFC 9112 §9.3;
    /// Hummingbird keeps it open but does not say so, and such clients then wait for a close).
    func respond(to request: Request, context: Context) async throws -> Response {
        let call = CallContext(request: request, remoteIP: context.remoteIP, logger: logger)
        var response = await route(request, context: call)
        if request.headers[.connection]?.lowercased() == "keep-alive" {
            response.headers[.connection] = "keep-alive"
        }
        return AccessLog.finish(response, for: request, context: call)
    }

    private func route(_ request: Request, context: CallContext) async -> Response {
        let path = request.uri.path
        if RegistryHandler.handles(path) { return await registry.respond(to: request, context: context) }
        if PortusAPIHandler.isAddressed(request) { return await portus.respond(to: request, context: context) }
        if QuayAPIHandler.handles(path) || portus.serves(path) {
            let method = request.method
            if quay.serves(path, method: method) { return await quay.respond(to: request, context: context) }
            if portus.serves(path, method: method) || (portus.serves(path) && !quay.serves(path)) {
                return await portus.respond(to: request, context: context)
            }
            return await quay.respond(to: request, context: context)
        }
        if OAuthHandler.handles(path) { return await oauth.respond(to: request, context: context) }
        if path.hasPrefix(Self.exportedLogsPrefix), request.method == .get { return await exportedLogs(request, context: context) }
        return Responses.json(.notFound, encoding: ["message": "Not Found"])
    }

    static let exportedLogsPrefix = "/exportedlogs/"

    /// A finished log export's document; its unguessable name is the credential, as in Quay.
    private func exportedLogs(_ request: Request, context: CallContext) async -> Response {
        do {
            try EdgeError.checkText(of: request)
            guard let document = try await store.exportedLogs(fileName: String(request.uri.path.dropFirst(Self.exportedLogsPrefix.count))) else {
                return Responses.json(.notFound, encoding: ["message": "Not Found"])
            }
            return Responses.json(.ok, Data(document.utf8), headers: [.contentDisposition: "attachment; filename=\"export-logs.json\""])
        } catch {
            return quay.render(error, request: request, context: context)
        }
    }
}
