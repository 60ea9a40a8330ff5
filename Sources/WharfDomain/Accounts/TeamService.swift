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
    /// Whether adding a user who is not yet in the organization sends an invitation instead
    /// (Quay: `FEATURE_MAILING && FEATURE_REQUIRE_TEAM_INVITE`).
    let requireInvite: Bool

    public init(store: MetadataStore, requireInvite: Bool) {
        self.store = store
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
        return try await store.transaction { tx in
            let previous = try await tx.team(organizationID: organization.id, name: name)
            let saved = try await tx.saveTeam(organizationID: organization.id, name: name, role: role, description: description)
            if saved.created {
                try await tx.emit(.orgCreateTeam, namespace: organization, by: performer, details: ["team": name])
            }
            if let previous, previous.role != role {
                try await tx.emit(.orgSetTeamRole, namespace: organization, by: performer, details: ["team": name, "role": role.rawValue])
            }
            if let description, previous?.description != description, previous != nil || !description.isEmpty {
                try await tx.emit(.orgSetTeamDescription, namespace: organization, by: performer, details: ["team": name, "description": description])
            }
            return saved
        }
    }

    /// Deletes a team; the caller may not delete their own last admin team.
    public func delete(_ organization: AccountRecord, team: TeamRecord, by performer: Performer) async throws {
        if team.role == .admin {
            try await requireOtherAdminTeam(organization, besides: team, performer: performer,
                                            message: "Deleting team '\(team.name)' would remove admin ability for user '\(performer.account?.username ?? "")' in organization '\(organization.username)'")
        }
        try await store.transaction { tx in
            try await tx.deleteTeam(id: team.id)
            try await tx.emit(.orgDeleteTeam, namespace: organization, by: performer, details: ["team": team.name])
        }
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
        return try await store.transaction { tx in
            if requireInvite, !member.isRobot, !inOrganization {
                let code = try await invite(team: team, account: member, email: nil, by: performer, tx: tx)
                try await tx.emit(.orgInviteTeamMember, namespace: organization, by: performer,
                                  details: ["user": member.username, "member": member.username, "team": team.name])
                return .invited(member, email: nil, code: code)
            }
            try await tx.addTeamMember(teamID: team.id, accountID: member.id)
            try await tx.emit(.orgAddTeamMember, namespace: organization, by: performer, details: ["member": member.username, "team": team.name])
            return .added(member)
        }
    }

    /// Invites an e-mail address to a team (inviting it again replaces the earlier invitation's code).
    public func invite(_ organization: AccountRecord, team: TeamRecord, email: String, by performer: Performer) async throws -> TeamAddition {
        do { try AccountRules.validateEmail(email) } catch { throw DomainError.invalidRequest("Invalid email address: \(email)") }
        return try await store.transaction { tx in
            let code = try await invite(team: team, account: nil, email: email, by: performer, tx: tx)
            try await tx.emit(.orgInviteTeamMember, namespace: organization, by: performer, details: ["email": email, "team": team.name])
            return .invited(nil, email: email, code: code)
        }
    }

    private func invite(team: TeamRecord, account: AccountRecord?, email: String?, by performer: Performer, tx: StoreTransaction) async throws -> String {
        let code = "urn:teaminvite:" + Secrets.randomToken(length: 40)
        try await tx.saveInvite(teamID: team.id, accountID: account?.id, email: email, inviterID: performer.account?.id,
                                codeHash: Secrets.sha256Hex(code))
        return code
    }

    /// Cancels the invitations of an e-mail address; false when there were none.
    public func cancelInvite(_ organization: AccountRecord, team: TeamRecord, email: String, by performer: Performer) async throws -> Bool {
        try await store.transaction { tx in
            let found = try await tx.deleteInvites(teamID: team.id, accountID: nil, email: email)
            if found {
                try await tx.emit(.orgDeleteTeamMemberInvite, namespace: organization, by: performer, details: ["email": email, "team": team.name])
            }
            return found
        }
    }

    /// Removes a member (or a pending invitation of that user); the caller cannot leave their own last admin team.
    public func remove(_ organization: AccountRecord, team: TeamRecord, username: String, by performer: Performer) async throws {
        guard let member = try await store.account(named: username) else { throw DomainError.notFound }
        let uninvited = try await store.transaction { tx in
            guard try await tx.deleteInvites(teamID: team.id, accountID: member.id, email: nil) else { return false }
            try await tx.emit(.orgDeleteTeamMemberInvite, namespace: organization, by: performer, details: ["user": username, "team": team.name])
            return true
        }
        if uninvited { return }
        if team.role == .admin, member.id == performer.account?.id {
            try await requireOtherAdminTeam(organization, besides: team, performer: performer,
                                            message: "User '\(username)' cannot be removed from team '\(team.name)' because they would lose admin on organization '\(organization.username)'")
        }
        try await store.transaction { tx in
            guard try await tx.removeTeamMember(teamID: team.id, accountID: member.id) else {
                throw DomainError.rejected("User '\(username)' is not a member of team '\(team.name)'")
            }
            try await tx.emit(.orgRemoveTeamMember, namespace: organization, by: performer, details: ["member": username, "team": team.name])
        }
    }

    /// Accepts an invitation as `user`; returns the organization and team joined.
    public func accept(code: String, as user: AccountRecord, by performer: Performer) async throws -> (organization: AccountRecord, team: TeamRecord) {
        let (invite, organization, team) = try await lookUp(code: code, for: user)
        try await store.transaction { tx in
            guard try await tx.takeInvite(id: invite.id) else { throw DomainError.notFound }
            try await tx.addTeamMember(teamID: team.id, accountID: user.id)
            try await tx.emit(.orgTeamMemberInviteAccepted, namespace: organization, by: performer, details: ["member": user.username, "team": team.name])
        }
        return (organization, team)
    }

    /// Declines an invitation as `user`.
    public func decline(code: String, as user: AccountRecord, by performer: Performer) async throws {
        let (invite, organization, team) = try await lookUp(code: code, for: user)
        try await store.transaction { tx in
            guard try await tx.takeInvite(id: invite.id) else { throw DomainError.notFound }
            try await tx.emit(.orgTeamMemberInviteDeclined, namespace: organization, by: performer, details: ["member": user.username, "team": team.name])
        }
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
