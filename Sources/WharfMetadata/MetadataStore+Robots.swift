import Foundation
import SQLKit

extension MetadataStore {
    static let robotColumns: SQLQueryString = """
        r.account_id, a.username, r.owner_id, r.description, r.unstructured_json, r.token_hash, r.token_sealed, r.created_ms, r.last_accessed_ms
        """
}

extension MetadataReading {
    /// The robot named `fullName`.
    public func robot(named fullName: String) async throws -> RobotRecord? {
        try await first("SELECT \(MetadataStore.robotColumns) FROM robot r JOIN account a ON a.id = r.account_id WHERE a.username = \(bind: fullName)",
                        as: RobotRecord.self)
    }

    /// The robots owned by `ownerID`, in name order.
    public func robots(ownerID: Int64, limit: Int? = nil) async throws -> [RobotRecord] {
        let limitClause: SQLQueryString = limit.map { "LIMIT \(bind: $0)" } ?? ""
        return try await all("""
            SELECT \(MetadataStore.robotColumns) FROM robot r JOIN account a ON a.id = r.account_id WHERE r.owner_id = \(bind: ownerID)
            ORDER BY a.username \(limitClause)
            """, as: RobotRecord.self)
    }

    /// Robots of `ownerID` whose full name starts with `prefix`.
    public func robots(ownerID: Int64, prefix: String, limit: Int) async throws -> [RobotRecord] {
        try await all("""
            SELECT \(MetadataStore.robotColumns) FROM robot r JOIN account a ON a.id = r.account_id
            WHERE r.owner_id = \(bind: ownerID) AND a.username LIKE \(bind: MetadataStore.likePrefix(prefix)) ESCAPE '\\'
            ORDER BY a.username LIMIT \(bind: limit)
            """, as: RobotRecord.self)
    }
}

extension StoreTransaction {
    /// Creates the robot `fullName` (`owner+short`) owned by `ownerID`; `conflict` when it exists.
    public func createRobot(ownerID: Int64, fullName: String, description: String, unstructuredJSON: String,
                            tokenHash: String, tokenSealed: String) async throws -> RobotRecord {
        try await pool.transaction { db in
            let account = try await insertAccount(db, username: fullName, email: UUID().uuidString.lowercased(), passwordHash: nil, robot: true)
            try await db.raw("""
                INSERT INTO robot (account_id, owner_id, description, unstructured_json, token_hash, token_sealed, created_ms)
                VALUES (\(bind: account.id), \(bind: ownerID), \(bind: description), \(bind: unstructuredJSON),
                        \(bind: tokenHash), \(bind: tokenSealed), \(bind: MetadataStore.nowMs()))
                """).run()
            return try await db.raw("SELECT \(MetadataStore.robotColumns) FROM robot r JOIN account a ON a.id = r.account_id WHERE r.account_id = \(bind: account.id)")
                .first(decoding: RobotRecord.self, with: decoder)!
        }
    }

    /// Replaces a robot's token.
    public func replaceRobotToken(accountID: Int64, tokenHash: String, tokenSealed: String) async throws {
        try await run("UPDATE robot SET token_hash = \(bind: tokenHash), token_sealed = \(bind: tokenSealed) WHERE account_id = \(bind: accountID)")
    }

    /// Records that a robot logged in.
    public func touchRobot(accountID: Int64) async throws {
        try await run("UPDATE robot SET last_accessed_ms = \(bind: MetadataStore.nowMs()) WHERE account_id = \(bind: accountID)")
    }
}
