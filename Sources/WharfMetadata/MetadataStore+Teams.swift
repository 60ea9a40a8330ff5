import Foundation
import SQLKit

/// A team an account belongs to, with the team's organization.
public struct TeamMembership: Sendable, Equatable, Decodable {
    public let organizationId: Int64
    public let organizationName: String
    public let teamId: Int64
    public let teamName: String
    public let role: TeamRole

    enum CodingKeys: String, CodingKey {
        case organizationId = "organization_id"
        case organizationName = "organization_name"
        case teamId = "team_id"
        case teamName = "team_name"
        case role
    }
}

/// A repository permission seen from its holder: the repository's name and visibility and the role.
public struct HeldPermission: Sendable, Equatable, Decodable {
    public let repositoryName: String
    public let visibility: Visibility
    public let role: RepositoryRole

    enum CodingKeys: String, CodingKey {
        case repositoryName = "name"
        case visibility
        case role
    }
}

extension MetadataStore {
    static let teamColumns: SQLQueryString = "t.id, t.organization_id, t.name, t.role, t.description, t.created_ms, t.updated_ms"
}

extension MetadataReading {
    public func team(organizationID: Int64, name: String) async throws -> TeamRecord? {
        try await first("SELECT \(MetadataStore.teamColumns) FROM team t WHERE t.organization_id = \(bind: organizationID) AND t.name = \(bind: name)",
                        as: TeamRecord.self)
    }

    public func team(id: Int64) async throws -> TeamRecord? {
        try await first("SELECT \(MetadataStore.teamColumns) FROM team t WHERE t.id = \(bind: id)", as: TeamRecord.self)
    }

    /// The team's members (users and robots) in name order.
    public func teamMembers(teamID: Int64) async throws -> [AccountRecord] {
        try await all("""
            SELECT \(MetadataStore.accountColumns) FROM account WHERE id IN (SELECT account_id FROM team_member WHERE team_id = \(bind: teamID))
            ORDER BY username
            """, as: AccountRecord.self)
    }

    /// Whether the account is in the team.
    public func isTeamMember(teamID: Int64, accountID: Int64) async throws -> Bool {
        try await pool.withDatabase { db in
            try await db.raw("SELECT 1 AS one FROM team_member WHERE team_id = \(bind: teamID) AND account_id = \(bind: accountID)").first() != nil
        }
    }

    /// The teams `accountID` belongs to, across all organizations.
    public func memberships(accountID: Int64) async throws -> [TeamMembership] {
        try await all("""
            SELECT t.organization_id, a.username AS organization_name, t.id AS team_id, t.name AS team_name, t.role
            FROM team_member m JOIN team t ON t.id = m.team_id JOIN account a ON a.id = t.organization_id
            WHERE m.account_id = \(bind: accountID) ORDER BY a.username, t.name
            """, as: TeamMembership.self)
    }

    /// The team's pending invitations.
    public func invites(teamID: Int64) async throws -> [TeamInviteRecord] {
        try await all("""
            SELECT i.id, i.team_id, i.account_id, a.username, i.email FROM team_member_invite i
            LEFT JOIN account a ON a.id = i.account_id WHERE i.team_id = \(bind: teamID) ORDER BY i.id
            """, as: TeamInviteRecord.self)
    }

    /// The invitation whose code hashes to `codeHash`.
    public func invite(codeHash: String) async throws -> TeamInviteRecord? {
        try await first("""
            SELECT i.id, i.team_id, i.account_id, a.username, i.email FROM team_member_invite i
            LEFT JOIN account a ON a.id = i.account_id WHERE i.code_hash = \(bind: codeHash)
            """, as: TeamInviteRecord.self)
    }

    /// The repository permissions a team holds.
    public func teamPermissions(teamID: Int64) async throws -> [HeldPermission] {
        try await all("""
            SELECT r.name, \(MetadataStore.effectiveVisibility) AS visibility, p.role FROM team_repository_permission p
            JOIN repository r ON r.id = p.repository_id JOIN account a ON a.id = r.namespace_id
            WHERE p.team_id = \(bind: teamID) AND r.state <> 3 ORDER BY r.name
            """, as: HeldPermission.self)
    }

    /// The direct repository permissions an account (user or robot) holds, in any namespace.
    public func accountPermissions(accountID: Int64) async throws -> [HeldPermission] {
        try await all("""
            SELECT r.name, \(MetadataStore.effectiveVisibility) AS visibility, p.role FROM repository_permission p
            JOIN repository r ON r.id = p.repository_id JOIN account a ON a.id = r.namespace_id
            WHERE p.account_id = \(bind: accountID) AND r.state <> 3 ORDER BY r.name
            """, as: HeldPermission.self)
    }
}

extension StoreTransaction {
    /// Creates the team, or changes its role (and description when given); `created` tells which.
    public func saveTeam(organizationID: Int64, name: String, role: TeamRole, description: String?) async throws -> (team: TeamRecord, created: Bool) {
        try await pool.transaction { db in
            let existing = try await db.raw("SELECT \(MetadataStore.teamColumns) FROM team t WHERE t.organization_id = \(bind: organizationID) AND t.name = \(bind: name)")
                .first(decoding: TeamRecord.self, with: decoder)
            let now = MetadataStore.nowMs()
            if let existing {
                try await db.raw("""
                    UPDATE team SET role = \(bind: role.rawValue), description = \(bind: description ?? existing.description), updated_ms = \(bind: now)
                    WHERE id = \(bind: existing.id)
                    """).run()
                return (TeamRecord(id: existing.id, organizationId: organizationID, name: name, role: role,
                                   description: description ?? existing.description, createdMs: existing.createdMs, updatedMs: now), false)
            }
            let team = try await db.raw("""
                INSERT INTO team (organization_id, name, role, description, created_ms, updated_ms)
                VALUES (\(bind: organizationID), \(bind: name), \(bind: role.rawValue), \(bind: description ?? ""), \(bind: now), \(bind: now))
                RETURNING id, organization_id, name, role, description, created_ms, updated_ms
                """).first(decoding: TeamRecord.self, with: decoder)!
            return (team, true)
        }
    }

    /// Renames a team and changes its description (nil leaves either as it is); a taken name is a `conflict`.
    public func changeTeam(id: Int64, name: String?, description: String?) async throws -> TeamRecord? {
        try await pool.transaction { db in
            guard let current = try await db.raw("SELECT \(MetadataStore.teamColumns) FROM team t WHERE t.id = \(bind: id)")
                .first(decoding: TeamRecord.self, with: decoder) else { return nil }
            if let name, name != current.name {
                let taken = try await db.raw("SELECT id FROM team WHERE organization_id = \(bind: current.organizationId) AND name = \(bind: name)").first()
                guard taken == nil else { throw MetadataError.conflict("has already been taken") }
            }
            return try await db.raw("""
                UPDATE team SET name = \(bind: name ?? current.name), description = \(bind: description ?? current.description),
                updated_ms = \(bind: MetadataStore.nowMs()) WHERE id = \(bind: id) RETURNING id, organization_id, name, role, description, created_ms, updated_ms
                """).first(decoding: TeamRecord.self, with: decoder)
        }
    }

    /// Deletes a team with its memberships, invitations and repository permissions.
    public func deleteTeam(id: Int64) async throws {
        try await run("DELETE FROM team WHERE id = \(bind: id)")
    }

    /// Adds an account to a team (nothing happens when it is already in it) and drops its invitations there.
    public func addTeamMember(teamID: Int64, accountID: Int64) async throws {
        try await pool.transaction { db in
            try await db.raw("""
                INSERT INTO team_member (team_id, account_id, created_ms, updated_ms)
                VALUES (\(bind: teamID), \(bind: accountID), \(bind: MetadataStore.nowMs()), \(bind: MetadataStore.nowMs())) ON CONFLICT DO NOTHING
                """).run()
            try await db.raw("DELETE FROM team_member_invite WHERE team_id = \(bind: teamID) AND account_id = \(bind: accountID)").run()
        }
    }

    /// Removes an account from a team; false when it was not in it.
    @discardableResult
    public func removeTeamMember(teamID: Int64, accountID: Int64) async throws -> Bool {
        try await deleteReturning("DELETE FROM team_member WHERE team_id = \(bind: teamID) AND account_id = \(bind: accountID) RETURNING team_id AS id")
    }

    /// Invites a user or an e-mail address to a team; the invitation's code is stored as `codeHash`.
    /// Inviting the same person again replaces the earlier invitation's code.
    public func saveInvite(teamID: Int64, accountID: Int64?, email: String?, inviterID: Int64?, codeHash: String) async throws {
        try await pool.transaction { db in
            let condition: SQLQueryString = accountID != nil ? "account_id = \(bind: accountID)" : "email = \(bind: email)"
            try await db.raw("DELETE FROM team_member_invite WHERE team_id = \(bind: teamID) AND \(condition)").run()
            try await db.raw("""
                INSERT INTO team_member_invite (team_id, account_id, email, inviter_id, code_hash, created_ms)
                VALUES (\(bind: teamID), \(bind: accountID), \(bind: email), \(bind: inviterID), \(bind: codeHash), \(bind: MetadataStore.nowMs()))
                """).run()
        }
    }

    /// Deletes the team's invitations for an account or an e-mail address; false when there were none.
    @discardableResult
    public func deleteInvites(teamID: Int64, accountID: Int64?, email: String?) async throws -> Bool {
        let condition: SQLQueryString = accountID != nil ? "account_id = \(bind: accountID)" : "email = \(bind: email)"
        return try await deleteReturning("DELETE FROM team_member_invite WHERE team_id = \(bind: teamID) AND \(condition) RETURNING id")
    }

    /// Takes an invitation away by id; false when another request took it first (an invitation is
    /// accepted or declined once).
    public func takeInvite(id: Int64) async throws -> Bool {
        try await deleteReturning("DELETE FROM team_member_invite WHERE id = \(bind: id) RETURNING id")
    }
}
