import Foundation
import SQLKit

/// A repository permission held by a user or robot.
public struct UserPermission: Sendable, Equatable {
    public let account: AccountRecord
    public let role: RepositoryRole
}

/// A repository permission held by a team.
public struct TeamPermission: Sendable, Equatable {
    public let team: TeamRecord
    public let role: RepositoryRole
}

extension MetadataStore {
    /// The condition under which `viewer` holds a role on repository `r` of namespace `a`: its own
    /// namespace, a direct or team grant, an `admin` team of the organization, or a place in the
    /// namespace's owning team. Listings and the catalog select with it; `heldRoles` tells the role.
    static func holdsRole(viewer: Int64) -> SQLQueryString {
        """
        r.namespace_id = \(bind: viewer)
        OR EXISTS (SELECT 1 FROM repository_permission p WHERE p.repository_id = r.id AND p.account_id = \(bind: viewer))
        OR EXISTS (SELECT 1 FROM team_repository_permission p JOIN team_member m ON m.team_id = p.team_id
                   WHERE p.repository_id = r.id AND m.account_id = \(bind: viewer))
        OR EXISTS (SELECT 1 FROM team t JOIN team_member m ON m.team_id = t.id
                   WHERE t.organization_id = r.namespace_id AND t.role = 'admin' AND m.account_id = \(bind: viewer))
        OR EXISTS (SELECT 1 FROM team_member m WHERE m.team_id = a.owner_team_id AND m.account_id = \(bind: viewer))
        """
    }

    /// The repository role a member `m` of a namespace's owning team holds on its repositories (Portus):
    /// viewers read, contributors write, owners administer.
    static let ownerTeamRepositoryRole: SQLQueryString =
        "CASE m.role WHEN 'owner' THEN 'admin' WHEN 'contributor' THEN 'write' ELSE 'read' END"
}

extension MetadataReading {
    /// Every role `accountID` holds on a repository: directly, through its teams' permissions, `admin`
    /// through an `admin` team of the repository's organization, and through its role in the namespace's
    /// owning team (Portus). Callers take the highest and cap it.
    public func heldRoles(accountID: Int64, repository: RepositoryRecord) async throws -> [RepositoryRole] {
        let rows = try await all("""
            SELECT role FROM repository_permission WHERE repository_id = \(bind: repository.id) AND account_id = \(bind: accountID)
            UNION ALL
            SELECT p.role FROM team_repository_permission p JOIN team_member m ON m.team_id = p.team_id
            WHERE p.repository_id = \(bind: repository.id) AND m.account_id = \(bind: accountID)
            UNION ALL
            SELECT 'admin' AS role FROM team t JOIN team_member m ON m.team_id = t.id
            WHERE t.organization_id = \(bind: repository.namespaceId) AND t.role = 'admin' AND m.account_id = \(bind: accountID)
            UNION ALL
            SELECT \(MetadataStore.ownerTeamRepositoryRole) AS role FROM account n JOIN team_member m ON m.team_id = n.owner_team_id
            WHERE n.id = \(bind: repository.namespaceId) AND m.account_id = \(bind: accountID)
            """, as: HeldRolesRow.self)
        return rows.compactMap { RepositoryRole(rawValue: $0.role) }
    }

    /// The roles an account holds on a repository directly and through teams (not through org admin).
    public func transitiveRoles(accountID: Int64, repositoryID: Int64) async throws -> [RepositoryRole] {
        return try await all("""
            SELECT role FROM repository_permission WHERE repository_id = \(bind: repositoryID) AND account_id = \(bind: accountID)
            UNION ALL
            SELECT p.role FROM team_repository_permission p JOIN team_member m ON m.team_id = p.team_id
            WHERE p.repository_id = \(bind: repositoryID) AND m.account_id = \(bind: accountID)
            """, as: TransitiveRolesRow.self).compactMap { RepositoryRole(rawValue: $0.role) }
    }

    /// The users and robots with a direct permission on a repository, in name order.
    public func userPermissions(repositoryID: Int64) async throws -> [UserPermission] {
        let rows = try await all("""
            SELECT p.account_id AS id, p.role FROM repository_permission p WHERE p.repository_id = \(bind: repositoryID)
            """, as: UserPermissionsRow.self)
        var permissions: [UserPermission] = []
        for row in rows {
            if let account = try await account(id: row.id) { permissions.append(UserPermission(account: account, role: row.role)) }
        }
        return permissions.sorted { $0.account.username < $1.account.username }
    }

    /// The teams with a permission on a repository, in name order.
    public func teamPermissions(repositoryID: Int64) async throws -> [TeamPermission] {
        return try await all("""
            SELECT t.id, t.organization_id, t.name, t.role AS team_role, t.description, p.role, t.created_ms, t.updated_ms
            FROM team_repository_permission p JOIN team t ON t.id = p.team_id
            WHERE p.repository_id = \(bind: repositoryID) ORDER BY t.name
            """, as: TeamPermissionsRow.self).map {
            TeamPermission(team: TeamRecord(id: $0.id, organizationId: $0.organization_id, name: $0.name, role: $0.team_role,
                                            description: $0.description, createdMs: $0.created_ms, updatedMs: $0.updated_ms), role: $0.role)
        }
    }

    /// The role a team holds on a repository.
    public func teamRole(teamID: Int64, repositoryID: Int64) async throws -> RepositoryRole? {
        try await pool.withDatabase { db in
            try await db.raw("SELECT role FROM team_repository_permission WHERE repository_id = \(bind: repositoryID) AND team_id = \(bind: teamID)")
                .first(decodingColumn: "role", as: String.self)
        }.flatMap(RepositoryRole.init(rawValue:))
    }
}

extension StoreTransaction {
    /// Grants `role` on a repository to a team (replacing any role it had there).
    public func setTeamPermission(repositoryID: Int64, teamID: Int64, role: RepositoryRole) async throws {
        try await run("""
            INSERT INTO team_repository_permission (repository_id, team_id, role) VALUES (\(bind: repositoryID), \(bind: teamID), \(bind: role.rawValue))
            ON CONFLICT (repository_id, team_id) DO UPDATE SET role = excluded.role
            """)
    }

    /// Removes an account's direct permission on a repository; false when it had none.
    @discardableResult
    public func deletePermission(repositoryID: Int64, accountID: Int64) async throws -> Bool {
        try await deleteReturning("""
            DELETE FROM repository_permission WHERE repository_id = \(bind: repositoryID) AND account_id = \(bind: accountID) RETURNING id
            """)
    }

    /// Removes a team's permission on a repository; false when it had none.
    @discardableResult
    public func deleteTeamPermission(repositoryID: Int64, teamID: Int64) async throws -> Bool {
        try await deleteReturning("""
            DELETE FROM team_repository_permission WHERE repository_id = \(bind: repositoryID) AND team_id = \(bind: teamID) RETURNING id
            """)
    }
}

private struct HeldRolesRow: Decodable { let role: String }

private struct TransitiveRolesRow: Decodable { let role: String }

private struct UserPermissionsRow: Decodable { let id: Int64; let role: RepositoryRole }

private struct TeamPermissionsRow: Decodable {
    let id: Int64, organization_id: Int64, name: String, team_role: TeamRole, description: String, role: RepositoryRole
    let created_ms: Int64, updated_ms: Int64
}
