import Foundation
import SQLKit

extension MetadataReading {
    /// The session whose public name is `name`.
    public func session(named name: String) async throws -> SessionRecord? {
        try await first("SELECT id, session_hash, csrf_token, account_id, expires_ms FROM web_session WHERE session_name = \(bind: name)",
                        as: SessionRecord.self)
    }
}

extension StoreTransaction {
    /// Stores a signed-in session: its public name, the hash of its secret and its CSRF token.
    public func createSession(name: String, secretHash: String, csrfToken: String, accountID: Int64, expiresMs: Int64) async throws {
        try await run("""
            INSERT INTO web_session (session_name, session_hash, csrf_token, account_id, created_ms, expires_ms)
            VALUES (\(bind: name), \(bind: secretHash), \(bind: csrfToken), \(bind: accountID), \(bind: MetadataStore.nowMs()), \(bind: expiresMs))
            """)
    }

    /// Ends a session.
    public func deleteSession(named name: String) async throws {
        try await run("DELETE FROM web_session WHERE session_name = \(bind: name)")
    }
}
