import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `/organization/…`: organizations, their members and collaborators.
struct OrganizationRoutes {
    let services: QuayServices
    var access: OrganizationGate { OrganizationGate(services: services) }

    var routes: [QuayRoute] {
        [
            QuayRoute(.post, "/api/v1/organization/", operationID: "createOrganization", summary: "Create a new organization.",
                      scope: .userAdmin, body: QuayBodySchema("NewOrg", "Description of a new organization.", [
                          QuayParameter("name", .string, "Organization username", required: true),
                          QuayParameter("email", .string, "Organization contact email"),
                      ]), handler: create),
            QuayRoute(.get, "/api/v1/organization/{orgname}", operationID: "getOrganization", summary: "Get the details for the specified organization.",
                      handler: get),
            QuayRoute(.put, "/api/v1/organization/{orgname}", operationID: "changeOrganizationDetails", summary: "Change the details for the specified organization.",
                      scope: .orgAdmin, body: QuayBodySchema("UpdateOrg", "Description of updates for an existing organization", [
                          QuayParameter("email", .string, "Organization contact email"),
                          QuayParameter("contact_email", .string, "Organization contact email, read when email is absent"),
                          QuayParameter("tag_expiration_s", .integer, "The number of seconds for tag expiration"),
                      ]), handler: update),
            QuayRoute(.delete, "/api/v1/organization/{orgname}", operationID: "deleteAdminedOrganization", summary: "Deletes the specified organization.",
                      scope: .orgAdmin, handler: delete),
            QuayRoute(.get, "/api/v1/organization/{orgname}/members", operationID: "getOrganizationMembers", summary: "List the human members of the specified organization.",
                      scope: .orgAdmin, handler: members),
            QuayRoute(.get, "/api/v1/organization/{orgname}/members/{membername}", operationID: "getOrganizationMember", summary: "Retrieves the details of a member of the organization.",
                      scope: .orgAdmin, handler: member),
            QuayRoute(.delete, "/api/v1/organization/{orgname}/members/{membername}", operationID: "removeOrganizationMember",
                      summary: "Removes a member from an organization, revoking all its repository privileges and removing it from all teams.",
                      scope: .orgAdmin, handler: removeMember),
            QuayRoute(.get, "/api/v1/organization/{orgname}/collaborators", operationID: "getOrganizationCollaborators",
                      summary: "List outside collaborators of the specified organization.", scope: .orgAdmin, handler: collaborators),
        ]
    }

    struct CreateBody: Decodable {
        let name: String
        let email: String?
    }

    @Sendable func create(_ call: QuayRequest) async throws -> Response {
        _ = try call.caller.administeredAccount(services.policy)
        let body: CreateBody = try await QuayJSON.decode(call.request)
        _ = try await services.organizations.create(name: body.name, email: body.email, by: call.caller.performer)
        return QuayJSON.response(.created, "Created")
    }

    /// Quay's `org_view`: teams for members (in creation order, as Quay sorts them by id), settings for admins.
    /// In the organization that holds Portus's teams a member sees only its own teams, as Portus shows them.
    func view(_ organization: AccountRecord, caller: Identity) async throws -> [String: Any] {
        let policy = services.policy
        let isAdmin = try await policy.administers(caller, organization: organization)
        let isMember = try await policy.isMember(caller, of: organization)
        var view: [String: Any] = ["name": organization.username, "email": isAdmin ? (organization.email ?? "") : "",
                                   "avatar": QuayViews.avatar(organization), "is_admin": isAdmin, "is_member": isMember]
        if isMember || caller.actsAsSuperuser {
            var summaries = try await services.store.teamSummaries(organizationID: organization.id).sorted { $0.team.id < $1.team.id }
            var mine = Set<Int64>()
            if let account = caller.account { mine = Set(try await services.store.memberships(accountID: account.id).map(\.teamId)) }
            if organization.systemRole != nil, !isAdmin { summaries = summaries.filter { mine.contains($0.team.id) } }
            var teams: [String: Any] = [:]
            for summary in summaries {
                teams[summary.team.name] = TeamRoutes.summaryView(summary, canView: isAdmin || mine.contains(summary.team.id))
            }
            view["teams"] = teams
            view["ordered_teams"] = summaries.map(\.team.name)
        }
        if isAdmin {
            view["invoice_email"] = false
            view["invoice_email_address"] = jsonNull
            view["tag_expiration_s"] = organization.removedTagExpirationS
            view["is_free_account"] = true
        }
        return view
    }

    @Sendable func get(_ call: QuayRequest) async throws -> Response {
        guard let organization = try await services.store.account(named: call.parameter("orgname")), organization.isOrganization else {
            throw QuayAPIError.notFound
        }
        return QuayJSON.response(.ok, try await view(organization, caller: call.caller.identity))
    }

    struct UpdateBody: Decodable {
        let email: String?
        let contact_email: String?
        let invoice_email: Bool?
        let invoice_email_address: String?
        let tag_expiration_s: Int64?
    }

    @Sendable func update(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let body: UpdateBody = try await QuayJSON.decode(call.request)
        try await services.organizations.update(organization, email: body.email ?? body.contact_email, tagExpirationSeconds: body.tag_expiration_s,
                                                by: call.caller.performer)
        let updated = try await services.store.account(id: organization.id) ?? organization
        return QuayJSON.response(.ok, try await view(updated, caller: call.caller.identity))
    }

    @Sendable func delete(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        try await services.organizations.delete(organization, by: call.caller.performer)
        return Responses.empty(.noContent)
    }

    func memberView(_ member: OrganizationMember) -> [String: Any] {
        ["name": member.account.username, "kind": member.account.isRobot ? "robot" : "user", "avatar": QuayViews.avatar(member.account),
         "teams": member.teams.map { ["name": $0, "avatar": QuayViews.avatar(name: $0, email: nil, kind: "team")] },
         "repositories": member.repositories]
    }

    @Sendable func members(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let members = try await services.store.organizationMembers(organizationID: organization.id, includeRobots: false)
        return QuayJSON.response(.ok, ["members": members.map(memberView)])
    }

    func findMember(_ call: QuayRequest, in organization: AccountRecord) async throws -> OrganizationMember {
        guard let member = try await services.store.organizationMember(organizationID: organization.id, named: call.parameter("membername")) else {
            throw QuayAPIError.notFound
        }
        return member
    }

    @Sendable func member(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        return QuayJSON.response(.ok, memberView(try await findMember(call, in: organization)))
    }

    @Sendable func removeMember(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        guard let member = try await services.store.account(named: call.parameter("membername")), !member.isOrganization, !member.isRobot else {
            throw QuayAPIError.notFound
        }
        try await services.organizations.removeMember(organization, member: member, by: call.caller.performer)
        return Responses.empty(.noContent)
    }

    @Sendable func collaborators(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let collaborators = try await services.store.organizationCollaborators(organizationID: organization.id)
        return QuayJSON.response(.ok, ["collaborators": collaborators.map {
            ["kind": "user", "name": $0.account.username, "avatar": QuayViews.avatar($0.account), "repositories": $0.repositories] as [String: Any]
        }])
    }
}
