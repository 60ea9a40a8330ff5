import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `POST /api/v1/user/initialize`: creates the first user of an empty registry (`FEATURE_USER_INITIALIZE`).
struct UserInitializeRoutes {
    let services: QuayServices
    /// Lifetime of the access token it returns (Quay: 9000 s).
    static let tokenLifetime: TimeInterval = 9000

    var routes: [QuayRoute] {
        [QuayRoute(.post, "/api/v1/user/initialize", operationID: "initializeUser", summary: "Create the first user of an empty registry.",
                   body: QuayBodySchema("UserInitialize", "The first user of an empty registry.", [
                       QuayParameter("username", .string, "The username of the user being created", required: true),
                       QuayParameter("password", .string, "The password of the user being created", required: true),
                       QuayParameter("email", .string, "The email address of the user being created"),
                       QuayParameter("access_token", .boolean, "Whether to answer with an OAuth access token carrying every scope"),
                   ]), handler: initialize)]
    }

    struct Body: Decodable {
        let username: String
        let password: String
        let email: String?
        let access_token: Bool?
    }

    struct Reply: Encodable {
        let username: String
        let email: String?
        let access_token: String?
    }

    @Sendable func initialize(_ call: QuayRequest) async throws -> Response {
        guard services.settings.userInitialize else { throw QuayAPIError.notFound }
        let body: Body = try await QuayJSON.decode(call.request)
        guard try await services.store.userCount() == 0 else {
            throw QuayAPIError.message(400, "Cannot initialize user in a non-empty database")
        }
        let account = try await services.accounts.createUser(username: body.username, password: body.password, email: body.email,
                                                             onlyIfFirst: true, by: call.caller.performer, via: "user/initialize")
        var token: String?
        if body.access_token == true {
            token = try await services.authenticator.mintOAuthToken(for: account, scopes: Set(Scope.allCases), lifetime: Self.tokenLifetime,
                                                                   by: call.caller.performer, via: "user/initialize")
        }
        return Responses.json(.ok, encoding: Reply(username: account.username, email: account.email, access_token: token))
    }
}
