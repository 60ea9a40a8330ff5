import Foundation
import SQLKit

extension MetadataStore {
    static let prototypeColumns: SQLQueryString =
        "uuid, organization_id, activating_account_id, delegate_account_id, delegate_team_id, role"

    /// The organization's default permissions, oldest first.
    public func prototypes(organizationID: Int64) async throws -> [PrototypeRecord] {
        try await all("SELECT \(Self.prototypeColumns) FROM prototype WHERE organization_id = \(bind: organizationID) ORDER BY id",
                      as: PrototypeRecord.self)
    }

    public func prototype(organizationID: Int64, uuid: String) async throws -> PrototypeRecord? {
        try await first("SELECT \(Self.prototypeColumns) FROM prototype WHERE organization_id = \(bind: organizationID) AND uuid = \(bind: uuid)",
                        as: PrototypeRecord.self)
    }

    /// Adds a default permission for a user/robot (`delegateAccountID`) or a team (`delegateTeamID`).
    public func createPrototype(organizationID: Int64, activatingAccountID: Int64?, delegateAccountID: Int64?,
                                delegateTeamID: Int64?, role: RepositoryRole) async throws -> PrototypeRecord {
        let uuid = UUID().uuidString.lowercased()
        try await run("""
            INSERT INTO prototype (uuid, organization_id, activating_account_id, delegate_account_id, delegate_team_id, role)
            VALUES (\(bind: uuid), \(bind: organizationID), \(bind: activatingAccountID), \(bind: delegateAccountID),
                    \(bind: delegateTeamID), \(bind: role.rawValue))
            """)
        return PrototypeRecord(uuid: uuid, organizationId: organizationID, activatingAccountId: activatingAccountID,
                               delegateAccountId: delegateAccountID, delegateTeamId: delegateTeamID, role: role)
    }

    /// Changes a default permission's role.
    public func updatePrototype(uuid: String, role: RepositoryRole) async throws {
        try await run("UPDATE prototype SET role = \(bind: role.rawValue) WHERE uuid = \(bind: uuid)")
    }

    /// Deletes a default permission (the grants it made stay).
    public func deletePrototype(uuid: String) async throws {
        try await run("DELETE FROM prototype WHERE uuid = \(bind: uuid)")
    }

    /// Applies the namespace's default permissions to a repository `creatorID` just created in it (Quay
    /// applies them when the creator is not the namespace itself): each delegate gets the highest role
    /// of the prototypes that match the creator or match anyone.
    func applyPrototypes(_ db: any SQLDatabase, repositoryID: Int64, namespaceID: Int64, creatorID: Int64) async throws {
        let prototypes = try await db.raw("""
            SELECT \(Self.prototypeColumns) FROM prototype WHERE organization_id = \(bind: namespaceID)
            AND (activating_account_id IS NULL OR activating_account_id = \(bind: creatorID))
            """).all(decoding: PrototypeRecord.self, with: decoder)
        var users: [Int64: RepositoryRole] = [:]
        var teams: [Int64: RepositoryRole] = [:]
        for prototype in prototypes {
            if let account = prototype.delegateAccountId { users[account] = max(users[account] ?? prototype.role, prototype.role) }
            if let team = prototype.delegateTeamId { teams[team] = max(teams[team] ?? prototype.role, prototype.role) }
        }
        for (account, role) in users where account != creatorID {
            try await db.raw("""
                INSERT INTO repository_permission (repository_id, account_id, role) VALUES (\(bind: repositoryID), \(bind: account), \(bind: role.rawValue))
                ON CONFLICT (repository_id, account_id) DO NOTHING
                """).run()
        }
        for (team, role) in teams {
            try await db.raw("""
                INSERT INTO team_repository_permission (repository_id, team_id, role) VALUES (\(bind: repositoryID), \(bind: team), \(bind: role.rawValue))
                ON CONFLICT (repository_id, team_id) DO NOTHING
                """).run()
        }
    }
}
