import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `/user/apptoken…`: application-specific tokens for `docker login` as `$app`.
struct AppTokenRoutes {
    let services: QuayServices

    var routes: [QuayRoute] {
        [
            QuayRoute(.get, "/api/v1/user/apptoken", operationID: "listAppTokens", summary: "Lists the app specific tokens for the user.",
                      scope: .userAdmin, query: [QuayParameter("expiring", .boolean, "If true, only returns those tokens expiring soon")],
                      handler: list),
            QuayRoute(.post, "/api/v1/user/apptoken", operationID: "createAppToken", summary: "Create a new app specific token for user.",
                      scope: .userAdmin, body: QuayBodySchema("NewToken", "Description of a new token.", [
                          QuayParameter("title", .string, "Friendly name to help identify the token", required: true),
                      ]), handler: create),
            QuayRoute(.get, "/api/v1/user/apptoken/{token_uuid}", operationID: "getAppToken", summary: "Returns a specific app token for the user.",
                      scope: .userAdmin, handler: get),
            QuayRoute(.delete, "/api/v1/user/apptoken/{token_uuid}", operationID: "revokeAppToken", summary: "Revokes a specific app token for the user.",
                      scope: .userAdmin, handler: revoke),
        ]
    }

    func view(_ token: AppTokenRecord, value: String? = nil) -> [String: Any] {
        var view: [String: Any] = ["uuid": token.uuid, "title": token.title, "last_accessed": QuayViews.date(ms: token.lastAccessedMs),
                                   "created": QuayViews.date(ms: token.createdMs), "expiration": QuayViews.date(ms: token.expiresMs)]
        if let value { view["token_code"] = value }
        return view
    }

    @Sendable func list(_ call: QuayRequest) async throws -> Response {
        let user = try call.caller.administeredAccount(services.policy)
        let expiring = call.flag("expiring", default: false)
        let tokens = try await services.appTokens.tokens(of: user, onlyExpiring: expiring)
        return QuayJSON.response(.ok, ["tokens": tokens.map { view($0) }, "only_expiring": expiring])
    }

    struct CreateBody: Decodable { let title: String }

    @Sendable func create(_ call: QuayRequest) async throws -> Response {
        let user = try call.caller.administeredAccount(services.policy)
        let body: CreateBody = try await QuayJSON.decode(call.request)
        let (record, token) = try await services.appTokens.create(for: user, title: body.title, by: call.caller.performer)
        return QuayJSON.response(.ok, ["token": view(record, value: token)])
    }

    func token(_ call: QuayRequest, of user: AccountRecord) async throws -> AppTokenRecord {
        guard let token = try await services.store.appToken(accountID: user.id, uuid: call.parameter("token_uuid")) else { throw QuayAPIError.notFound }
        return token
    }

    @Sendable func get(_ call: QuayRequest) async throws -> Response {
        let user = try call.caller.administeredAccount(services.policy)
        let record = try await token(call, of: user)
        return QuayJSON.response(.ok, ["token": view(record, value: services.appTokens.value(of: record) ?? "")])
    }

    @Sendable func revoke(_ call: QuayRequest) async throws -> Response {
        let user = try call.caller.administeredAccount(services.policy)
        let record = try await token(call, of: user)
        try await services.appTokens.revoke(record, of: user, by: call.caller.performer)
        return Responses.empty(.noContent)
    }
}
