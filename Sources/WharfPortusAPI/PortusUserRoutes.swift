import Foundation
import Hummingbird
import WharfDomain
import WharfMetadata

/// `/users…`: users (administrators only), the first administrator (`bootstrap`) and application tokens.
///
/// Departure from Portus: its API lets any user list and create application tokens for any other
/// user (SUSE/Portus#2319); here only the user itself or an administrator may.
struct PortusUserRoutes {
    let services: PortusServices
    var entities: PortusEntities { PortusEntities(services: services) }

    var routes: [PortusRoute] {
        [
            PortusRoute(.get, "/api/v1/users", .admin, handler: list),
            PortusRoute(.post, "/api/v1/users", .admin, handler: create),
            PortusRoute(.get, "/api/v1/users/{id}", .admin, handler: show),
            PortusRoute(.put, "/api/v1/users/{id}", .admin, handler: update),
            PortusRoute(.delete, "/api/v1/users/{id}", .admin, handler: delete),
            PortusRoute(.post, "/api/v1/users/bootstrap", .anyone, handler: bootstrap),
            PortusRoute(.get, "/api/v1/users/{id}/application_tokens", .user, handler: tokens),
            PortusRoute(.post, "/api/v1/users/{id}/application_tokens", .user, handler: createToken),
            PortusRoute(.delete, "/api/v1/users/application_tokens/{id}", .user, handler: deleteToken),
        ]
    }

    static let sortable = ["id": "id", "name": "username", "username": "username", "email": "email", "created_at": "created_ms", "updated_at": "updated_ms",
                           "display_name": "display_name"]

    static let userParameters: [ParameterSpec] = [
        .requires("user", .hash([.requires("username"), .requires("email"), .requires("password"), .optional("display_name"), .optional("bot", .boolean)])),
    ]

    @Sendable func list(_ call: PortusRequest) async throws -> Response {
        let pagination = try PortusPagination(call.params, sortable: Self.sortable)
        let page = try await services.store.userPage(pagination.request)
        return PortusJSON.response(.ok, page.items.map(entities.user),
                                   headers: pagination.headers(total: page.total, url: services.settings.baseURL + call.request.uri.path,
                                                               query: call.queryItems))
    }

    @Sendable func create(_ call: PortusRequest) async throws -> Response {
        try call.params.validate(Self.userParameters)
        let user = try await services.users.create(newUser(call.params), by: call.performer)
        return PortusJSON.response(.created, entities.user(user))
    }

    /// A user by id, or by e-mail address.
    @Sendable func show(_ call: PortusRequest) async throws -> Response {
        let key = call.path["id"] ?? ""
        let found = if let id = Int64(key) { try await services.store.account(id: id) } else { try await services.store.user(email: key) }
        guard let user = found, Self.isUser(user) else { throw PortusAPIError.notFound }
        return PortusJSON.response(.ok, entities.user(user))
    }

    @Sendable func update(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.requires("user", .hash([.optional("username"), .optional("email"), .optional("password"), .optional("display_name")]))])
        let user = try await existingUser(call.id())
        let updated = try await services.users.update(user, username: call.params.string("user", "username"), email: call.params.string("user", "email"),
                                                      password: call.params.string("user", "password"),
                                                      displayName: call.params.string("user", "display_name"), by: call.performer)
        return PortusJSON.response(.ok, entities.user(updated))
    }

    @Sendable func delete(_ call: PortusRequest) async throws -> Response {
        let user = try await existingUser(call.id())
        try await services.users.delete(user, by: call.performer)
        return PortusJSON.empty()
    }

    /// Creates the first user, an administrator, with an application token named `bootstrap`.
    @Sendable func bootstrap(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.requires("user", .hash([.requires("username"), .requires("email"), .requires("password"), .optional("display_name")]))])
        guard services.settings.rules.firstUserAdmin else { throw PortusAPIError.disabledEndpoint }
        let (record, token) = try await services.users.bootstrap(newUser(call.params), ip: call.context.remoteIP)
        return PortusJSON.response(.created, entities.applicationToken(record, plain: token))
    }

    @Sendable func tokens(_ call: PortusRequest) async throws -> Response {
        let user = try await tokenOwner(call)
        return PortusJSON.response(.ok, try await services.appTokens.tokens(of: user, onlyExpiring: false).sorted { $0.id < $1.id }.map { entities.applicationToken($0) })
    }

    @Sendable func createToken(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.requires("application")])
        let user = try await tokenOwner(call)
        let (record, token) = try await services.appTokens.createForApplication(call.params.string("application"), for: user, by: call.performer)
        return PortusJSON.response(.created, entities.applicationToken(record, plain: token))
    }

    /// Deletes an application token: one's own, or (for an administrator) a bot's.
    @Sendable func deleteToken(_ call: PortusRequest) async throws -> Response {
        guard let token = try await services.store.appToken(id: call.id()), let owner = try await services.store.account(id: token.accountId) else {
            throw PortusAPIError.notFound
        }
        guard services.policy.mayRevokeToken(of: owner, call.caller) else { throw PortusAPIError.authorizationFails }
        try await services.appTokens.revoke(token, of: owner, by: call.performer)
        return PortusJSON.empty()
    }

    /// The user whose tokens are asked for: the caller itself, or anyone for an administrator (checked
    /// before the user is looked up, so that others cannot learn which ids exist).
    private func tokenOwner(_ call: PortusRequest) async throws -> AccountRecord {
        guard services.policy.mayManageTokens(ofUserID: try call.id(), call.caller) else { throw PortusAPIError.authorizationFails }
        return try await existingUser(call.id())
    }

    private func existingUser(_ id: Int64) async throws -> AccountRecord {
        guard let user = try await services.store.account(id: id), Self.isUser(user) else { throw PortusAPIError.notFound }
        return user
    }

    private func newUser(_ params: PortusParameters) -> NewUser {
        NewUser(username: params.string("user", "username"), email: params.string("user", "email"), password: params.string("user", "password"),
                displayName: params.string("user", "display_name"), bot: params.boolean("user", "bot") ?? false)
    }

    static func isUser(_ account: AccountRecord) -> Bool { !account.isOrganization && !account.isRobot }
}
