import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `/messages` and `/message/{uuid}`: global messages, readable by anyone, written by superusers.
struct MessageRoutes {
    let services: QuayServices

    static let mediaTypes = ["text/markdown", "text/plain"]
    static let severities = ["info", "warning", "error"]

    var routes: [QuayRoute] {
        [
            QuayRoute(.get, "/api/v1/messages", operationID: "getGlobalMessages", summary: "Return a super users messages.", handler: list),
            QuayRoute(.post, "/api/v1/messages", operationID: "createGlobalMessage", summary: "Create a message.", scope: .superUser,
                      body: QuayBodySchema("CreateMessage", "Create a new message", [
                          QuayParameter("message", .object, "A single message: content, media_type (text/markdown, text/plain) and severity (info, warning, error)",
                                        required: true),
                      ]), handler: create),
            QuayRoute(.delete, "/api/v1/message/{uuid}", operationID: "deleteGlobalMessage", summary: "Delete a message.",
                      scope: .superUser, handler: delete),
        ]
    }

    /// Quay answers Flask's 403 to anyone who is not a superuser here, anonymous callers included.
    func requireSuperuser(_ call: QuayRequest) throws {
        guard call.caller.identity.actsAsSuperuser else {
            throw QuayAPIError.message(403, "You don't have the permission to access the requested resource. It is either read-protected or not readable by the server.")
        }
    }

    @Sendable func list(_ call: QuayRequest) async throws -> Response {
        let messages = try await services.store.globalMessages()
        return QuayJSON.response(.ok, ["messages": messages.map {
            ["uuid": $0.uuid, "content": $0.content, "severity": $0.severity, "media_type": $0.mediaType]
        }])
    }

    struct CreateBody: Decodable {
        struct Message: Decodable {
            let content: String
            let media_type: String
            let severity: String
        }
        let message: Message
    }

    @Sendable func create(_ call: QuayRequest) async throws -> Response {
        try requireSuperuser(call)
        let body: CreateBody = try await QuayJSON.decode(call.request)
        guard Self.mediaTypes.contains(body.message.media_type) else {
            throw QuayAPIError.invalidRequest("'\(body.message.media_type)' is not one of \(Self.mediaTypes)")
        }
        guard Self.severities.contains(body.message.severity) else {
            throw QuayAPIError.invalidRequest("'\(body.message.severity)' is not one of \(Self.severities)")
        }
        try await services.domain.messages.create(content: body.message.content, mediaType: body.message.media_type,
                                                  severity: body.message.severity, by: call.caller.performer)
        return Responses.empty(.created)
    }

    @Sendable func delete(_ call: QuayRequest) async throws -> Response {
        try requireSuperuser(call)
        try await services.domain.messages.delete(uuid: call.parameter("uuid"), by: call.caller.performer)
        return Responses.empty(.noContent)
    }
}
