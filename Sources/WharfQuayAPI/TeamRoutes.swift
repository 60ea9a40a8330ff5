import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `/organization/{orgname}/team/…` and `/teaminvite/{code}`: teams, their members and invitations.
struct TeamRoutes {
    let services: QuayServices
    var access: OrganizationGate { OrganizationGate(services: services) }

    var routes: [QuayRoute] {
        let team = "/api/v1/organization/{orgname}/team/{teamname}"
        return [
            QuayRoute(.put, team, operationID: "updateOrganizationTeam", summary: "Update the org-wide permission for the specified team.",
                      scope: .orgAdmin, body: QuayBodySchema("TeamDescription", "Description of a team", [
                          QuayParameter("role", .string, "Org wide permissions that should apply to the team", required: true),
                          QuayParameter("description", .string, "Markdown description for the team"),
                      ]), handler: save),
            QuayRoute(.delete, team, operationID: "deleteOrganizationTeam", summary: "Delete the specified team.", scope: .orgAdmin, handler: delete),
            QuayRoute(.get, team + "/members", operationID: "getOrganizationTeamMembers", summary: "Retrieve the list of members for the specified team.",
                      scope: .orgAdmin, query: [QuayParameter("includePending", .boolean, "Whether to include pending members")], handler: members),
            QuayRoute(.put, team + "/members/{membername}", operationID: "updateOrganizationTeamMember",
                      summary: "Adds or invites a member to an existing team.", scope: .orgAdmin, handler: addMember),
            QuayRoute(.delete, team + "/members/{membername}", operationID: "deleteOrganizationTeamMember",
                      summary: "Delete a member of a team.", scope: .orgAdmin, handler: removeMember),
            QuayRoute(.put, team + "/invite/{email}", operationID: "inviteTeamMemberEmail", summary: "Invites an email address to an existing team.",
                      scope: .orgAdmin, handler: invite),
            QuayRoute(.delete, team + "/invite/{email}", operationID: "deleteTeamMemberEmailInvite", summary: "Delete an invite of an email address to join a team.",
                      scope: .orgAdmin, handler: cancelInvite),
            QuayRoute(.get, team + "/permissions", operationID: "getOrganizationTeamPermissions",
                      summary: "Returns the list of repository permissions for the org's team.", scope: .orgAdmin, handler: permissions),
            QuayRoute(.post, team + "/syncing", operationID: "enableOrganizationTeamSync", summary: "Enable directory synchronization of a team.",
                      scope: .orgAdmin, handler: syncing),
            QuayRoute(.delete, team + "/syncing", operationID: "disableOrganizationTeamSync", summary: "Disable directory synchronization of a team.",
                      scope: .orgAdmin, handler: syncing),
            QuayRoute(.put, "/api/v1/teaminvite/{code}", operationID: "acceptOrganizationTeamInvite", summary: "Accepts an invite to join a team in an organization.",
                      scope: .userAdmin, handler: acceptInvite),
            QuayRoute(.delete, "/api/v1/teaminvite/{code}", operationID: "declineOrganizationTeamInvite", summary: "Delete an existing invitation to join a team.",
                      scope: .userAdmin, handler: declineInvite),
        ]
    }

    /// A team as the organization view lists it.
    static func summaryView(_ summary: TeamSummary, canView: Bool) -> [String: Any] {
        ["name": summary.team.name, "description": summary.team.description, "role": summary.team.role.rawValue,
         "avatar": QuayViews.avatar(team: summary.team), "can_view": canView, "repo_count": summary.repositoryCount,
         "member_count": summary.memberCount, "is_synced": false]
    }

    /// A team member or invitee.
    static func memberView(_ account: AccountRecord, invited: Bool) -> [String: Any] {
        ["name": account.username, "kind": "user", "is_robot": account.isRobot, "avatar": QuayViews.avatar(account), "invited": invited]
    }

    static func emailInviteView(_ email: String) -> [String: Any] {
        ["email": email, "kind": "invite", "avatar": QuayViews.avatar(name: email, email: email, kind: "user"), "invited": true]
    }

    /// The response to adding or inviting someone; an invitation carries its code (Wharf sends no mail).
    static func additionView(_ addition: TeamAddition) -> [String: Any] {
        switch addition {
        case .added(let account):
            return memberView(account, invited: false)
        case .invited(let account, let email, let code):
            var view = account.map { memberView($0, invited: true) } ?? emailInviteView(email ?? "")
            view["invite_code"] = code
            return view
        }
    }

    func team(_ call: QuayRequest, in organization: AccountRecord) async throws -> TeamRecord {
        guard let team = try await services.store.team(organizationID: organization.id, name: call.parameter("teamname")) else {
            throw QuayAPIError.notFound
        }
        return team
    }

    struct SaveBody: Decodable {
        let role: String
        let description: String?
    }

    @Sendable func save(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let body: SaveBody = try await QuayJSON.decode(call.request)
        guard let role = TeamRole(rawValue: body.role) else {
            throw QuayAPIError.invalidRequest("'\(body.role)' is not one of ['member', 'creator', 'admin']")
        }
        let (team, created) = try await services.teams.save(organization, name: call.parameter("teamname"), role: role,
                                                            description: body.description, by: call.caller.performer)
        return QuayJSON.response(.ok, ["name": team.name, "description": team.description, "can_view": true, "role": team.role.rawValue,
                                       "avatar": QuayViews.avatar(team: team), "new_team": created])
    }

    @Sendable func delete(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        guard let team = try await services.store.team(organizationID: organization.id, name: call.parameter("teamname")) else {
            throw DomainError.rejected("Team '\(call.parameter("teamname"))' is not a team in org '\(organization.username)'")
        }
        try await services.teams.delete(organization, team: team, by: call.caller.performer)
        return Responses.empty(.noContent)
    }

    /// Team members are visible to the organization's administrators and to the team's own members.
    @Sendable func members(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireMember(call.parameter("orgname"), call.caller)
        let team = try await team(call, in: organization)
        guard try await services.policy.mayListMembers(call.caller.identity, of: team, in: organization) else { throw call.caller.refusal }
        let isAdmin = try await services.policy.administers(call.caller.identity, organization: organization)
        var members = try await services.store.teamMembers(teamID: team.id).map { Self.memberView($0, invited: false) }
        if isAdmin, call.flag("includePending", default: false) {
            for invite in try await services.store.invites(teamID: team.id) {
                if let accountID = invite.accountId, let account = try await services.store.account(id: accountID) {
                    members.append(Self.memberView(account, invited: true))
                } else if let email = invite.email {
                    members.append(Self.emailInviteView(email))
                }
            }
        }
        return QuayJSON.response(.ok, ["name": team.name, "members": members, "can_edit": isAdmin])
    }

    @Sendable func addMember(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let team = try await team(call, in: organization)
        let addition = try await services.teams.add(organization, team: team, username: call.parameter("membername"), by: call.caller.performer)
        return QuayJSON.response(.ok, Self.additionView(addition))
    }

    @Sendable func removeMember(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let team = try await team(call, in: organization)
        try await services.teams.remove(organization, team: team, username: call.parameter("membername"), by: call.caller.performer)
        return Responses.empty(.noContent)
    }

    @Sendable func invite(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let team = try await team(call, in: organization)
        let addition = try await services.teams.invite(organization, team: team, email: call.parameter("email"), by: call.caller.performer)
        return QuayJSON.response(.ok, Self.additionView(addition))
    }

    @Sendable func cancelInvite(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let team = try await team(call, in: organization)
        guard try await services.teams.cancelInvite(organization, team: team, email: call.parameter("email"), by: call.caller.performer) else {
            throw QuayAPIError.notFound
        }
        return Responses.empty(.noContent)
    }

    @Sendable func permissions(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let team = try await team(call, in: organization)
        let held = try await services.store.teamPermissions(teamID: team.id)
        return QuayJSON.response(.ok, ["permissions": held.map(QuayViews.permissionEntry)])
    }

    /// Directory synchronization needs LDAP or OIDC, which Wharf does not have: refused as Quay refuses
    /// it when no federated login service is configured.
    @Sendable func syncing(_ call: QuayRequest) async throws -> Response {
        throw call.caller.refusal
    }

    @Sendable func acceptInvite(_ call: QuayRequest) async throws -> Response {
        let user = try call.caller.administeredAccount(services.policy)
        let (organization, team) = try await services.teams.accept(code: call.parameter("code"), as: user, by: call.caller.performer)
        return QuayJSON.response(.ok, ["org": organization.username, "team": team.name])
    }

    @Sendable func declineInvite(_ call: QuayRequest) async throws -> Response {
        let user = try call.caller.administeredAccount(services.policy)
        try await services.teams.decline(code: call.parameter("code"), as: user, by: call.caller.performer)
        return Responses.empty(.noContent)
    }
}
