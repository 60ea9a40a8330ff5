import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `/organization/{orgname}/applications…` and `/app/{client_id}`: OAuth applications.
struct ApplicationRoutes {
    let services: QuayServices
    var access: OrganizationGate { OrganizationGate(services: services) }

    var routes: [QuayRoute] {
        /// Creation and update read the same fields; only the name is required by either.
        func fields(_ name: String, _ description: String) -> QuayBodySchema {
            QuayBodySchema(name, description, [
                QuayParameter("name", .string, "The name of the application", required: true),
                QuayParameter("redirect_uri", .string, "The URI for the application's OAuth redirect"),
                QuayParameter("application_uri", .string, "The URI for the application's homepage"),
                QuayParameter("description", .string, "The human-readable description for the application"),
                QuayParameter("avatar_email", .string, "The e-mail address of the avatar to use for the application"),
            ])
        }
        return [
            QuayRoute(.get, "/api/v1/organization/{orgname}/applications", operationID: "getOrganizationApplications",
                      summary: "List the applications for the specified organization", scope: .orgAdmin, handler: list),
            QuayRoute(.post, "/api/v1/organization/{orgname}/applications", operationID: "createOrganizationApplication",
                      summary: "Creates a new application under this organization.", scope: .orgAdmin,
                      body: fields("NewApp", "Description of a new organization application."), handler: create),
            QuayRoute(.get, "/api/v1/organization/{orgname}/applications/{client_id}", operationID: "getOrganizationApplication",
                      summary: "Retrieves the application with the specified client_id under the specified organization", scope: .orgAdmin, handler: get),
            QuayRoute(.put, "/api/v1/organization/{orgname}/applications/{client_id}", operationID: "updateOrganizationApplication",
                      summary: "Updates an application under this organization.", scope: .orgAdmin,
                      body: fields("UpdateApp", "Description of an updated application."), handler: update),
            QuayRoute(.delete, "/api/v1/organization/{orgname}/applications/{client_id}", operationID: "deleteOrganizationApplication",
                      summary: "Deletes the application under this organization.", scope: .orgAdmin, handler: delete),
            QuayRoute(.get, "/api/v1/app/{client_id}", operationID: "getApplicationInformation",
                      summary: "Get information on the specified application.", handler: information),
        ]
    }

    /// Quay's `app_view` (the client secret only for the organization's administrators).
    func view(_ application: OAuthApplicationRecord) -> [String: Any] {
        ["name": application.name, "description": application.description, "application_uri": application.applicationUri,
         "client_id": application.clientId, "client_secret": services.oauth.secret(of: application).orNull,
         "redirect_uri": application.redirectUri, "avatar_email": application.avatarEmail.orNull]
    }

    @Sendable func list(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let applications = try await services.store.applications(organizationID: organization.id)
        return QuayJSON.response(.ok, ["applications": applications.map(view)])
    }

    struct Body: Decodable {
        let name: String
        let redirect_uri: String?
        let application_uri: String?
        let description: String?
        let avatar_email: String?

        var fields: OAuthService.ApplicationFields {
            .init(name: name, description: description ?? "", applicationURI: application_uri ?? "", redirectURI: redirect_uri ?? "",
                  avatarEmail: avatar_email)
        }
    }

    @Sendable func create(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let body: Body = try await QuayJSON.decode(call.request)
        let application = try await services.oauth.createApplication(organization, fields: body.fields, by: call.caller.performer)
        return QuayJSON.response(.ok, view(application))
    }

    @Sendable func get(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        return QuayJSON.response(.ok, view(try await services.oauth.application(organization, clientID: call.parameter("client_id"))))
    }

    @Sendable func update(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let application = try await services.oauth.application(organization, clientID: call.parameter("client_id"))
        let body: Body = try await QuayJSON.decode(call.request)
        let updated = try await services.oauth.updateApplication(application, organization: organization, fields: body.fields, by: call.caller.performer)
        return QuayJSON.response(.ok, view(updated))
    }

    @Sendable func delete(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let application = try await services.oauth.application(organization, clientID: call.parameter("client_id"))
        try await services.oauth.deleteApplication(application, organization: organization, by: call.caller.performer)
        return Responses.empty(.noContent)
    }

    /// Public information on an application, for the consent screen.
    @Sendable func information(_ call: QuayRequest) async throws -> Response {
        guard let application = try await services.store.application(clientID: call.parameter("client_id")),
              let organization = try await services.store.account(id: application.organizationId) else { throw QuayAPIError.notFound }
        let isAdmin = try await services.policy.administers(call.caller.identity, organization: organization)
        let isMember = try await services.policy.isMember(call.caller.identity, of: organization)
        return QuayJSON.response(.ok, [
            "name": application.name, "description": application.description, "uri": application.applicationUri,
            "avatar": QuayViews.avatar(name: application.name, email: application.avatarEmail, kind: "app"),
            "organization": ["name": organization.username, "email": isAdmin ? (organization.email ?? "") : "",
                             "avatar": QuayViews.avatar(organization), "is_admin": isAdmin, "is_member": isMember,
                             "teams": [String: Any](), "ordered_teams": [String]()] as [String: Any],
        ])
    }
}
