import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `/superuser/users/` and `/superuser/organizations/{name}`: administration by the `SUPER_USERS`.
struct SuperuserRoutes {
    let services: QuayServices

    var routes: [QuayRoute] {
        [
            QuayRoute(.get, "/api/v1/superuser/users/", operationID: "listAllUsers", summary: "Returns a list of all users in the system.",
                      scope: .superUser, query: [
                          CommonParameters.nextPage,
                          QuayParameter("limit", .integer, "Limit to the number of results to return per page. Max 100."),
                          QuayParameter("disabled", .boolean, "If false, only enabled users will be returned."),
                      ], handler: listUsers),
            QuayRoute(.post, "/api/v1/superuser/users/", operationID: "createInstallUser", summary: "Creates a new user.",
                      scope: .superUser, body: QuayBodySchema("CreateInstallUser", "Data for creating a user", [
                          QuayParameter("username", .string, "The username of the user being created", required: true),
                          QuayParameter("email", .string, "The email address of the user being created"),
                      ]), handler: createUser),
            // Quay names this schema `UpdateOrg` too; its properties differ from the organization's own `UpdateOrg`,
            // and one name can hold only one definition.
            QuayRoute(.put, "/api/v1/superuser/organizations/{name}", operationID: "changeOrganization", summary: "Updates information about the specified organization.",
                      scope: .superUser, body: QuayBodySchema("SuperUserUpdateOrg", "Description of updates for an organization", [
                          QuayParameter("name", .string, "The new name for the organization"),
                          QuayParameter("email", .string, "Organization contact email"),
                          QuayParameter("tag_expiration_s", .integer, "The number of seconds for tag expiration"),
                      ]), handler: changeOrganization),
            QuayRoute(.delete, "/api/v1/superuser/organizations/{name}", operationID: "deleteOrganization", summary: "Deletes the specified organization.",
                      scope: .superUser, handler: deleteOrganization),
        ]
    }

    func requireSuperuser(_ call: QuayRequest) throws {
        guard call.caller.identity.actsAsSuperuser else { throw call.caller.refusal }
    }

    func userView(_ user: AccountRecord) -> [String: Any] {
        ["kind": "user", "name": user.username, "username": user.username, "email": user.email.orNull, "verified": true,
         "avatar": QuayViews.avatar(user), "super_user": services.authenticator.isSuperuser(user), "enabled": user.enabled]
    }

    @Sendable func listUsers(_ call: QuayRequest) async throws -> Response {
        try requireSuperuser(call)
        let limit = min(100, max(1, try call.integer("limit") ?? 100))
        let offset = PageToken.offset(call.query("next_page"))
        let page = try await services.store.users(offset: offset, limit: limit + 1, enabledOnly: !call.flag("disabled", default: true))
        var body: [String: Any] = ["users": page.prefix(limit).map(userView)]
        if page.count > limit { body["next_page"] = PageToken.encode(offset: offset + limit) }
        return QuayJSON.response(.ok, body)
    }

    struct CreateBody: Decodable {
        let username: String
        let email: String?
    }

    /// Creates a user with a generated password, which the response shows once.
    @Sendable func createUser(_ call: QuayRequest) async throws -> Response {
        try requireSuperuser(call)
        let body: CreateBody = try await QuayJSON.decode(call.request)
        let (user, password) = try await services.accounts.createUserWithGeneratedPassword(username: body.username, email: body.email,
                                                                                          by: call.caller.performer)
        return QuayJSON.response(.ok, ["username": user.username, "email": user.email.orNull, "password": password])
    }

    func organization(_ call: QuayRequest) async throws -> AccountRecord {
        try requireSuperuser(call)
        guard let organization = try await services.store.account(named: call.parameter("name")), organization.isOrganization else {
            throw QuayAPIError.notFound
        }
        return organization
    }

    struct ChangeBody: Decodable {
        let name: String?
        let email: String?
        let tag_expiration_s: Int64?
    }

    @Sendable func changeOrganization(_ call: QuayRequest) async throws -> Response {
        let organization = try await organization(call)
        let body: ChangeBody = try await QuayJSON.decode(call.request)
        try await services.organizations.update(organization, email: body.email, tagExpirationSeconds: body.tag_expiration_s, by: call.caller.performer)
        if let name = body.name, name != organization.username {
            try await services.organizations.rename(organization, to: name, by: call.caller.performer)
        }
        let updated = try await services.store.account(id: organization.id) ?? organization
        return QuayJSON.response(.ok, ["name": updated.username, "email": updated.email.orNull, "avatar": QuayViews.avatar(updated)])
    }

    @Sendable func deleteOrganization(_ call: QuayRequest) async throws -> Response {
        let organization = try await organization(call)
        try await services.organizations.delete(organization, by: call.caller.performer)
        return Responses.empty(.noContent)
    }
}
