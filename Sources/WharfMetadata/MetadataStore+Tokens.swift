import Foundation
import SQLKit

extension MetadataStore {
    static let appTokenColumns: SQLQueryString =
        "id, uuid, account_id, title, token_name, token_hash, token_sealed, created_ms, expires_ms, last_accessed_ms"
}

extension MetadataReading {
    /// The account's app tokens, newest first; with `expiringBetween`, only those that expire in that
    /// window (start included, end excluded).
    public func appTokens(accountID: Int64, expiringBetween window: (Int64, Int64)? = nil) async throws -> [AppTokenRecord] {
        let filter: SQLQueryString = window.map { "AND expires_ms IS NOT NULL AND expires_ms >= \(bind: $0.0) AND expires_ms < \(bind: $0.1)" } ?? ""
        return try await all("""
            SELECT \(MetadataStore.appTokenColumns) FROM app_token WHERE account_id = \(bind: accountID) \(filter) ORDER BY id DESC
            """, as: AppTokenRecord.self)
    }

    public func appToken(accountID: Int64, uuid: String) async throws -> AppTokenRecord? {
        try await first("SELECT \(MetadataStore.appTokenColumns) FROM app_token WHERE account_id = \(bind: accountID) AND uuid = \(bind: uuid)",
                        as: AppTokenRecord.self)
    }

    public func appToken(id: Int64) async throws -> AppTokenRecord? {
        try await first("SELECT \(MetadataStore.appTokenColumns) FROM app_token WHERE id = \(bind: id)", as: AppTokenRecord.self)
    }

    public func appToken(named tokenName: String) async throws -> AppTokenRecord? {
        try await first("SELECT \(MetadataStore.appTokenColumns) FROM app_token WHERE token_name = \(bind: tokenName)", as: AppTokenRecord.self)
    }
}

extension StoreTransaction {
    /// Stores an application-specific token: its public name, the hash and the sealed form of its secret.
    /// With `uniquePerAccount`, the account may hold at most that many tokens and no two with one title
    /// (checked under a lock: `MetadataError.conflict("limit")` or `("title")`).
    public func createAppToken(accountID: Int64, title: String, tokenName: String, tokenHash: String, tokenSealed: String,
                               expiresMs: Int64?, uniquePerAccount limit: Int? = nil) async throws -> AppTokenRecord {
        try await pool.transaction { db in
            if let limit {
                if pool.engine == .postgres { try await db.raw("SELECT id FROM account WHERE id = \(bind: accountID) FOR UPDATE").run() }
                let titles = try await db.raw("SELECT title FROM app_token WHERE account_id = \(bind: accountID)").all().map { try $0.decode(column: "title", as: String.self) }
                if titles.contains(title) { throw MetadataError.conflict("title") }
                if titles.count >= limit { throw MetadataError.conflict("limit") }
            }
            return try await db.raw("""
                INSERT INTO app_token (uuid, account_id, title, token_name, token_hash, token_sealed, created_ms, expires_ms)
                VALUES (\(bind: UUID().uuidString.lowercased()), \(bind: accountID), \(bind: title), \(bind: tokenName),
                        \(bind: tokenHash), \(bind: tokenSealed), \(bind: MetadataStore.nowMs()), \(bind: expiresMs))
                RETURNING \(MetadataStore.appTokenColumns)
                """).first(decoding: AppTokenRecord.self, with: decoder)!
        }
    }

    /// Deletes (revokes) an app-specific token.
    public func deleteAppToken(id: Int64) async throws {
        try await run("DELETE FROM app_token WHERE id = \(bind: id)")
    }

    /// Records that an app token was used.
    public func touchAppToken(id: Int64) async throws {
        try await run("UPDATE app_token SET last_accessed_ms = \(bind: MetadataStore.nowMs()) WHERE id = \(bind: id)")
    }
}
