import Foundation
import WharfMetadata

/// What adding someone to a team did.
public enum TeamAddition: Sendable, Equatable {
    /// The account is now a member.
    case added(AccountRecord)
    /// An invitation was created instead; `code` accepts it (`PUT /api/v1/teaminvite/{code}`).
    case invited(AccountRecord?, email: String?, code: String)
}

/// Teams of an organization: their roles, members and invitations, with Quay's rules (an organization
/// admin cannot remove their own last admin team or their own membership of it).
public struct TeamService: Sendable {
    let store: MetadataStore
    let audit: AuditLog
    /// Whether adding a user who is not yet in the organization sends an invitation instead
    /// (Quay: `FEATURE_MAILING && FEATURE_REQUIRE_TEAM_INVITE`).
    let requireInvite: Bool

    public init(store: MetadataStore, audit: AuditLog, requireInvite: Bool) {
        self.store = store
        self.audit = audit
        self.requireInvite = requireInvite
    }

    /// Creates the team or changes its role and description.
    public func save(_ organization: AccountRecord, name: String, role: TeamRole, description: String?,
                     by performer: Performer) async throws -> (team: TeamRecord, created: Bool) {
        do { try AccountRules.validateUsername(name) } catch {
            throw DomainError.rejected("Invalid team name \(name): Team names must match ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$ and be between 2 and 255 characters in length")
        }
        if let existing = try await store.team(organizationID: organization.id, name: name), existing.role == .admin, role != .admin {
            try await requireOtherAdminTeam(organization, besides: existing, performer: performer,
                                            message: "Cannot remove admin from team '\(name)' because calling user would no longer have admin on org '\(organization.username)'")
        }
        let previous = try await store.team(organizationID: organization.id, name: name)
        let saved = try await store.saveTeam(organizationID: organization.id, name: name, role: role, description: description)
        if saved.created {
            await audit.record("org_create_team", namespace: organization, by: performer, metadata: ["team": name])
        }
        if let previous, previous.role != role {
            await audit.record("org_set_team_role", namespace: organization, by: performer, metadata: ["team": name, "role": role.rawValue])
        }
        if let description, previous?.description != description, previous != nil || !description.isEmpty {
            await audit.record("org_set_team_description", namespace: organization, by: performer,
                               metadata: ["team": name, "description": description])
        }
        return saved
    }

    /// Deletes a team; the caller may not delete their own last admin team.
    public func delete(_ organization: AccountRecord, team: TeamRecord, by performer: Performer) async throws {
        if team.role == .admin {
            try await requireOtherAdminTeam(organization, besides: team, performer: performer,
                                            message: "Deleting team '\(team.name)' would remove admin ability for user '\(performer.account?.username ?? "")' in organization '\(organization.username)'")
        }
        try await store.deleteTeam(id: team.id)
        await audit.record("org_delete_team", namespace: organization, by: performer, metadata: ["team": team.name])
    }

    /// Adds a user or a robot of the organization to a team. Without `requireInvite`, or for robots and
    /// users already in the organization, the member is added at once; otherwise they are invited.
    public func add(_ organization: AccountRecord, team: TeamRecord, username: String, by performer: Performer) async throws -> TeamAddition {
        guard let member = try await store.account(named: username), !member.isOrganization else {
            throw DomainError.invalidRequest("Unknown user")
        }
        if member.isRobot, !username.hasPrefix(organization.username + "+") {
            throw DomainError.invalidRequest("Cannot add robot \(username) to a team of \(organization.username): it belongs to another namespace")
        }
        let inOrganization = try await !store.memberships(accountID: member.id).filter { $0.organizationId == organization.id }.isEmpty
        if requireInvite, !member.isRobot, !inOrganization {
            let code = try await invite(team: team, account: member, email: nil, by: performer)
            await audit.record("org_invite_team_member", namespace: organization, by: performer,
                               metadata: ["user": member.username, "member": member.username, "team": team.name])
            return .invited(member, email: nil, code: code)
        }
        try await store.addTeamMember(teamID: team.id, accountID: member.id)
        await audit.record("org_add_team_member", namespace: organization, by: performer, metadata: ["member": member.username, "team": team.name])
        return .added(member)
    }

    /// Invites an e-mail address to a team (inviting it again replaces the earlier invitation's code).
    public func invite(_ organization: AccountRecord, team: TeamRecord, email: String, by performer: Performer) async throws -> TeamAddition {
        do { try AccountRules.validateEmail(email) } catch { throw DomainError.invalidRequest("Invalid email address: \(email)") }
        let code = try await invite(team: team, account: nil, email: email, by: performer)
        await audit.record("org_invite_team_member", namespace: organization, by: performer, metadata: ["email": email, "team": team.name])
        return .invited(nil, email: email, code: code)
    }

    private func invite(team: TeamRecord, account: AccountRecord?, email: String?, by performer: Performer) async throws -> String {
        let code = "urn:teaminvite:" + Secrets.randomToken(length: 40)
        try await store.saveInvite(teamID: team.id, accountID: account?.id, email: email, inviterID: performer.account?.id,
                                   codeHash: Secrets.sha256Hex(code))
        return code
    }

    /// Cancels the invitations of an e-mail address; false when there were none.
    public func cancelInvite(_ organization: AccountRecord, team: TeamRecord, email: String, by performer: Performer) async throws -> Bool {
        let found = try await store.deleteInvites(teamID: team.id, accountID: nil, email: email)
        if found {
            await audit.record("org_delete_team_member_invite", namespace: organization, by: performer, metadata: ["email": email, "team": team.name])
        }
        return found
    }

    /// Removes a member (or a pending invitation of that user); the caller cannot leave their own last admin team.
    public func remove(_ organization: AccountRecord, team: TeamRecord, username: String, by performer: Performer) async throws {
        guard let member = try await store.account(named: username) else { throw DomainError.notFound }
        if try await store.deleteInvites(teamID: team.id, accountID: member.id, email: nil) {
            await audit.record("org_delete_team_member_invite", namespace: organization, by: performer, metadata: ["user": username, "team": team.name])
            return
        }
        if team.role == .admin, member.id == performer.account?.id {
            try await requireOtherAdminTeam(organization, besides: team, performer: performer,
                                            message: "User '\(username)' cannot be removed from team '\(team.name)' because they would lose admin on organization '\(organization.username)'")
        }
        guard try await store.removeTeamMember(teamID: team.id, accountID: member.id) else {
            throw DomainError.rejected("User '\(username)' is not a member of team '\(team.name)'")
        }
        await audit.record("org_remove_team_member", namespace: organization, by: performer, metadata: ["member": username, "team": team.name])
    }

    /// Accepts an invitation as `user`; returns the organization and team joined.
    public func accept(code: String, as user: AccountRecord, by performer: Performer) async throws -> (organization: AccountRecord, team: TeamRecord) {
        let (invite, organization, team) = try await lookUp(code: code, for: user)
        guard try await store.takeInvite(id: invite.id) else { throw DomainError.notFound }
        try await store.addTeamMember(teamID: team.id, accountID: user.id)
        await audit.record("org_team_member_invite_accepted", namespace: organization, by: performer, metadata: ["member": user.username, "team": team.name])
        return (organization, team)
    }

    /// Declines an invitation as `user`.
    public func decline(code: String, as user: AccountRecord, by performer: Performer) async throws {
        let (invite, organization, team) = try await lookUp(code: code, for: user)
        guard try await store.takeInvite(id: invite.id) else { throw DomainError.notFound }
        await audit.record("org_team_member_invite_declined", namespace: organization, by: performer, metadata: ["member": user.username, "team": team.name])
    }

    /// An invitation is for the user it names; an e-mail invitation is for whoever presents its code.
    private func lookUp(code: String, for user: AccountRecord) async throws -> (TeamInviteRecord, AccountRecord, TeamRecord) {
        guard let invite = try await store.invite(codeHash: Secrets.sha256Hex(code)),
              let team = try await store.team(id: invite.teamId),
              let organization = try await store.account(id: team.organizationId) else { throw DomainError.notFound }
        if let invited = invite.accountId, invited != user.id { throw DomainError.rejected("This invite is intended for another user") }
        return (invite, organization, team)
    }

    /// Throws `message` unless the performer administers the organization through a team other than `team`.
    private func requireOtherAdminTeam(_ organization: AccountRecord, besides team: TeamRecord, performer: Performer, message: String) async throws {
        guard let account = performer.account else { return }
        let adminTeams = try await store.memberships(accountID: account.id)
            .filter { $0.organizationId == organization.id && $0.role == .admin && $0.teamId != team.id }
        let isInTeam = try await store.isTeamMember(teamID: team.id, accountID: account.id)
        if isInTeam && adminTeams.isEmpty { throw DomainError.rejected(message) }
    }
}
