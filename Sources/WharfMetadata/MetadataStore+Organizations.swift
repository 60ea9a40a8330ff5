import Foundation
import SQLKit

/// A user's place in an organization: the teams they are in and the repositories they hold a direct
/// permission on.
public struct OrganizationMember: Sendable, Equatable {
    public let account: AccountRecord
    public let teams: [String]
    public let repositories: [String]
}

/// A team with the numbers the organization view shows.
public struct TeamSummary: Sendable, Equatable {
    public let team: TeamRecord
    public let memberCount: Int
    public let repositoryCount: Int
}

extension MetadataStore {
    /// A `LIKE` pattern matching strings that start with `prefix`, with `%`, `_` and `\` escaped.
    static func likePrefix(_ prefix: String) -> String {
        prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }
}

extension MetadataReading {
    /// Inserts an account row inside a transaction; `conflict` when the name is taken.
    func insertAccount(_ db: any SQLDatabase, username: String, email: String?, passwordHash: String?,
                       organization: Bool = false, robot: Bool = false) async throws -> AccountRecord {
        let inserted = try await db.raw("""
            INSERT INTO account (uuid, username, email, password_hash, is_organization, is_robot, created_ms)
            VALUES (\(bind: UUID().uuidString.lowercased()), \(bind: username), \(bind: email), \(bind: passwordHash),
                    \(bind: organization), \(bind: robot), \(bind: MetadataStore.nowMs()))
            ON CONFLICT (username) DO NOTHING
            RETURNING \(MetadataStore.accountColumns)
            """).first(decoding: AccountRecord.self, with: decoder)
        guard let inserted else { throw MetadataError.conflict("A user or organization with this name already exists") }
        return inserted
    }

    /// Renames an account and its robots within a transaction; a taken name is a `conflict` saying `conflict`.
    func rename(id: Int64, from oldName: String, to newName: String, conflict: String, db: any SQLDatabase) async throws {
        let taken = try await db.raw("SELECT id FROM account WHERE username = \(bind: newName)").first()
        guard taken == nil else { throw MetadataError.conflict(conflict) }
        try await db.raw("UPDATE account SET username = \(bind: newName) WHERE id = \(bind: id)").run()
        try await db.raw("""
            UPDATE account SET username = \(bind: newName + "+") || SUBSTR(username, CAST(\(bind: oldName.count + 2) AS INTEGER))
            WHERE id IN (SELECT account_id FROM robot WHERE owner_id = \(bind: id))
            """).run()
    }

    /// The organization's teams in name order, with member and repository counts.
    public func teamSummaries(organizationID: Int64) async throws -> [TeamSummary] {
        let rows = try await all("""
            SELECT t.id, t.organization_id, t.name, t.role, t.description, t.created_ms, t.updated_ms,
                   (SELECT COUNT(*) FROM team_member m WHERE m.team_id = t.id) AS member_count,
                   (SELECT COUNT(*) FROM team_repository_permission p WHERE p.team_id = t.id) AS repository_count
            FROM team t WHERE t.organization_id = \(bind: organizationID) ORDER BY t.name
            """, as: TeamSummariesRow.self)
        return rows.map {
            TeamSummary(team: TeamRecord(id: $0.id, organizationId: $0.organization_id, name: $0.name, role: $0.role, description: $0.description,
                                         createdMs: $0.created_ms, updatedMs: $0.updated_ms),
                        memberCount: $0.member_count, repositoryCount: $0.repository_count)
        }
    }

    /// Users (and, with `includeRobots`, robots) who are in at least one team of the organization, or in
    /// the team that owns it (Portus).
    public func organizationMembers(organizationID: Int64, includeRobots: Bool) async throws -> [OrganizationMember] {
        let rows = try await all("""
            SELECT m.account_id, t.name AS team FROM team_member m JOIN team t ON t.id = m.team_id
            WHERE t.organization_id = \(bind: organizationID) OR t.id = (SELECT owner_team_id FROM account WHERE id = \(bind: organizationID))
            ORDER BY t.name
            """, as: OrganizationMembersRow.self)
        var teams: [Int64: [String]] = [:]
        for row in rows { teams[row.account_id, default: []].append(row.team) }
        var members: [OrganizationMember] = []
        for (accountID, names) in teams {
            guard let account = try await account(id: accountID), includeRobots || !account.isRobot else { continue }
            let repositories = try await directRepositoryNames(accountID: accountID, namespaceID: organizationID)
            members.append(OrganizationMember(account: account, teams: names, repositories: repositories))
        }
        return members.sorted { $0.account.username < $1.account.username }
    }

    /// The member `name`: a user or robot in one of the organization's teams or in the team that owns it,
    /// or one of its robots.
    public func organizationMember(organizationID: Int64, named name: String) async throws -> OrganizationMember? {
        guard let account = try await account(named: name), !account.isOrganization else { return nil }
        let owner = try await self.account(id: organizationID)?.ownerTeamId
        let teams = try await memberships(accountID: account.id).filter { $0.organizationId == organizationID || $0.teamId == owner }.map(\.teamName)
        let isOwnRobot = account.isRobot ? try await robot(named: name)?.ownerId == organizationID : false
        guard !teams.isEmpty || isOwnRobot else { return nil }
        return OrganizationMember(account: account, teams: teams,
                                  repositories: try await directRepositoryNames(accountID: account.id, namespaceID: organizationID))
    }

    /// Users outside every team who hold a direct permission on one of the organization's repositories.
    public func organizationCollaborators(organizationID: Int64) async throws -> [OrganizationMember] {
        let ids = try await all("""
            SELECT DISTINCT p.account_id AS id FROM repository_permission p JOIN repository r ON r.id = p.repository_id
            JOIN account a ON a.id = p.account_id
            WHERE r.namespace_id = \(bind: organizationID) AND a.is_robot = FALSE
              AND NOT EXISTS (SELECT 1 FROM team_member m JOIN team t ON t.id = m.team_id
                              WHERE m.account_id = p.account_id AND t.organization_id = \(bind: organizationID))
            """, as: IDRow.self)
        var collaborators: [OrganizationMember] = []
        for id in ids.map(\.id) {
            guard let account = try await account(id: id) else { continue }
            let repositories = try await directRepositoryNames(accountID: id, namespaceID: organizationID)
            collaborators.append(OrganizationMember(account: account, teams: [], repositories: repositories))
        }
        return collaborators.sorted { $0.account.username < $1.account.username }
    }

    /// Names of the repositories in `namespaceID` on which `accountID` holds a direct permission.
    func directRepositoryNames(accountID: Int64, namespaceID: Int64) async throws -> [String] {
        return try await all("""
            SELECT r.name FROM repository_permission p JOIN repository r ON r.id = p.repository_id
            WHERE p.account_id = \(bind: accountID) AND r.namespace_id = \(bind: namespaceID) ORDER BY r.name
            """, as: DirectRepositoryNamesRow.self).map(\.name)
    }

    /// The users (not robots) in the organization's `admin` teams.
    public func organizationAdminIDs(organizationID: Int64) async throws -> Set<Int64> {
        Set(try await all("""
            SELECT DISTINCT m.account_id AS id FROM team_member m JOIN team t ON t.id = m.team_id JOIN account a ON a.id = m.account_id
            WHERE t.organization_id = \(bind: organizationID) AND t.role = 'admin' AND a.is_robot = FALSE
            """, as: IDRow.self).map(\.id))
    }

    /// Accounts whose name starts with `prefix` (users and organizations; robots are listed per namespace).
    public func accounts(prefix: String, organizations: Bool, limit: Int) async throws -> [AccountRecord] {
        try await all("""
            SELECT \(MetadataStore.accountColumns) FROM account
            WHERE is_robot = FALSE AND is_organization = \(bind: organizations) AND username LIKE \(bind: MetadataStore.likePrefix(prefix)) ESCAPE '\\'
            ORDER BY username LIMIT \(bind: limit)
            """, as: AccountRecord.self)
    }

    /// User accounts in name order, a page at a time; with `enabledOnly`, disabled users are left out.
    public func users(offset: Int, limit: Int, enabledOnly: Bool) async throws -> [AccountRecord] {
        let filter: SQLQueryString = enabledOnly ? "AND enabled = TRUE" : ""
        return try await all("""
            SELECT \(MetadataStore.accountColumns) FROM account WHERE is_robot = FALSE AND is_organization = FALSE \(filter)
            ORDER BY username LIMIT \(bind: limit) OFFSET \(bind: offset)
            """, as: AccountRecord.self)
    }
}

extension StoreTransaction {
    /// Creates an organization with its `owners` team (role `admin`) holding `creatorID` (empty without
    /// one: a Portus namespace, whose `ownerTeamID` decides who administers it).
    public func createOrganization(name: String, email: String?, creatorID: Int64?, ownerTeamID: Int64? = nil,
                                   description: String = "") async throws -> AccountRecord {
        try await pool.transaction { db in
            let inserted = try await insertAccount(db, username: name, email: email, passwordHash: nil, organization: true)
            let now = MetadataStore.nowMs()
            let team = try await db.raw("""
                INSERT INTO team (organization_id, name, role, description, created_ms, updated_ms)
                VALUES (\(bind: inserted.id), 'owners', 'admin', '', \(bind: now), \(bind: now))
                RETURNING id
                """).first(decoding: IDRow.self, with: decoder)!
            if let creatorID {
                try await db.raw("""
                    INSERT INTO team_member (team_id, account_id, created_ms, updated_ms) VALUES (\(bind: team.id), \(bind: creatorID), \(bind: now), \(bind: now))
                    """).run()
            }
            guard ownerTeamID != nil || !description.isEmpty else { return inserted }
            return try await db.raw("""
                UPDATE account SET owner_team_id = \(bind: ownerTeamID), description = \(bind: description) WHERE id = \(bind: inserted.id)
                RETURNING \(MetadataStore.accountColumns)
                """).first(decoding: AccountRecord.self, with: decoder)!
        }
    }

    /// Deletes a user or organization with its robots, repositories, teams and grants.
    public func deleteAccount(id: Int64) async throws {
        try await pool.transaction { db in
            try await db.raw("DELETE FROM account WHERE id IN (SELECT account_id FROM robot WHERE owner_id = \(bind: id))").run()
            try await db.raw("DELETE FROM account WHERE id = \(bind: id)").run()
        }
    }

    /// Changes an account's e-mail address and time-machine window (nil leaves a value as it is).
    public func updateAccount(id: Int64, email: String?, tagExpirationSeconds: Int64?) async throws {
        try await pool.transaction { db in
            if let email { try await db.raw("UPDATE account SET email = \(bind: email) WHERE id = \(bind: id)").run() }
            if let tagExpirationSeconds {
                try await db.raw("UPDATE account SET removed_tag_expiration_s = \(bind: tagExpirationSeconds) WHERE id = \(bind: id)").run()
            }
        }
    }

    /// Renames an account (the robots it owns are renamed with it).
    public func renameAccount(id: Int64, from oldName: String, to newName: String) async throws {
        try await pool.transaction { db in
            try await rename(id: id, from: oldName, to: newName, conflict: "A user or organization with this name already exists", db: db)
        }
    }

    /// Removes a user from every team of the organization and from its repositories' permissions.
    public func removeOrganizationMember(organizationID: Int64, accountID: Int64) async throws {
        try await pool.transaction { db in
            try await db.raw("""
                DELETE FROM team_member WHERE account_id = \(bind: accountID)
                AND team_id IN (SELECT id FROM team WHERE organization_id = \(bind: organizationID))
                """).run()
            try await db.raw("""
                DELETE FROM repository_permission WHERE account_id = \(bind: accountID)
                AND repository_id IN (SELECT id FROM repository WHERE namespace_id = \(bind: organizationID))
                """).run()
        }
    }
}

private struct TeamSummariesRow: Decodable {
    let id: Int64, organization_id: Int64, name: String, role: TeamRole, description: String, created_ms: Int64, updated_ms: Int64
    let member_count: Int, repository_count: Int
}

private struct OrganizationMembersRow: Decodable { let account_id: Int64; let team: String }

private struct DirectRepositoryNamesRow: Decodable { let name: String }
