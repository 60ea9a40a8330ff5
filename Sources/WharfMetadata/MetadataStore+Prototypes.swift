import Foundation
import SQLKit

extension MetadataStore {
    static let prototypeColumns: SQLQueryString =
        "uuid, organization_id, activating_account_id, delegate_account_id, delegate_team_id, role"
}

extension MetadataReading {
    /// The organization's default permissions, oldest first.
    public func prototypes(organizationID: Int64) async throws -> [PrototypeRecord] {
        try await all("SELECT \(MetadataStore.prototypeColumns) FROM prototype WHERE organization_id = \(bind: organizationID) ORDER BY id",
                      as: PrototypeRecord.self)
    }

    public func prototype(organizationID: Int64, uuid: String) async throws -> PrototypeRecord? {
        try await first("SELECT \(MetadataStore.prototypeColumns) FROM prototype WHERE organization_id = \(bind: organizationID) AND uuid = \(bind: uuid)",
                        as: PrototypeRecord.self)
    }
}

extension StoreTransaction {
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
}
