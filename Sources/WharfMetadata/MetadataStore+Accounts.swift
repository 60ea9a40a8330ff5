import Foundation
import SQLKit

extension MetadataStore {
    static let accountColumnNames = [
        "id", "uuid", "username", "email", "password_hash", "is_organization", "is_robot", "enabled", "removed_tag_expiration_s", "superuser",
        "bot", "display_name", "description", "namespace_visibility", "owner_team_id", "system_role", "created_ms", "updated_ms",
        "current_sign_in_ms", "last_sign_in_ms",
    ]
    static let accountColumns = SQLQueryString(accountColumnNames.joined(separator: ", "))

    /// The account columns of the table known as `alias`.
    static func accountColumns(of alias: String) -> SQLQueryString {
        SQLQueryString(accountColumnNames.map { "\(alias).\($0)" }.joined(separator: ", "))
    }
}

extension MetadataReading {
    /// Number of user accounts (organizations and robots excluded).
    public func userCount() async throws -> Int {
        try await pool.withDatabase { db in
            try await db.raw("SELECT COUNT(*) AS n FROM account WHERE is_organization = FALSE AND is_robot = FALSE")
                .first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }

    public func account(named username: String) async throws -> AccountRecord? {
        try await first("SELECT \(MetadataStore.accountColumns) FROM account WHERE username = \(bind: username)", as: AccountRecord.self)
    }

    /// The user with e-mail address `email` (compared without case).
    public func user(email: String) async throws -> AccountRecord? {
        try await first("""
            SELECT \(MetadataStore.accountColumns) FROM account WHERE LOWER(email) = \(bind: email.lowercased())
            AND is_organization = FALSE AND is_robot = FALSE ORDER BY id LIMIT 1
            """, as: AccountRecord.self)
    }

    /// The user whose display name is `displayName`.
    public func user(displayName: String) async throws -> AccountRecord? {
        try await first("SELECT \(MetadataStore.accountColumns) FROM account WHERE display_name = \(bind: displayName) ORDER BY id LIMIT 1",
                        as: AccountRecord.self)
    }

    public func account(id: Int64) async throws -> AccountRecord? {
        try await first("SELECT \(MetadataStore.accountColumns) FROM account WHERE id = \(bind: id)", as: AccountRecord.self)
    }

    public func accessToken(named tokenName: String) async throws -> AccessTokenRecord? {
        try await first("""
            SELECT id, uuid, token_name, token_code_hash, account_id, scopes, expires_ms
            FROM oauth_access_token WHERE token_name = \(bind: tokenName)
            """, as: AccessTokenRecord.self)
    }

    /// The account's failed sign-ins since its last success, and when the last one happened.
    public func failedLogins(accountID: Int64) async throws -> (count: Int, lastMs: Int64?) {
        let row = try await first("SELECT invalid_login_attempts, last_invalid_login_ms FROM account WHERE id = \(bind: accountID)", as: FailedLoginsRow.self)
        return (row?.invalid_login_attempts ?? 0, row?.last_invalid_login_ms)
    }

    /// The public key PEM registered under `kid`.
    public func serviceKey(kid: String) async throws -> String? {
        try await pool.withDatabase { db in
            try await db.raw("SELECT public_key_pem FROM service_key WHERE kid = \(bind: kid)")
                .first(decodingColumn: "public_key_pem", as: String.self)
        }
    }
}

extension StoreTransaction {
    /// Creates a user; throws `conflict` when the name is taken, or with `onlyIfFirst` when any user exists
    /// (checked under a lock in the same transaction, so two concurrent "first" users cannot both be created).
    public func createUser(username: String, email: String?, passwordHash: String?, onlyIfFirst: Bool = false) async throws -> AccountRecord {
        try await createUser(username: username, email: email, passwordHash: passwordHash, displayName: nil, bot: false, superuser: false,
                             onlyIfFirst: onlyIfFirst)
    }

    /// Stores an OAuth access token: `tokenName` (its public first part) and the hash of its secret part.
    /// `applicationID` names the OAuth application it was issued through, if any.
    public func createAccessToken(accountID: Int64, tokenName: String, codeHash: String, scopes: String, expiresMs: Int64?,
                                  applicationID: Int64? = nil) async throws {
        try await run("""
            INSERT INTO oauth_access_token (uuid, token_name, token_code_hash, account_id, scopes, expires_ms, created_ms, application_id)
            VALUES (\(bind: UUID().uuidString.lowercased()), \(bind: tokenName), \(bind: codeHash), \(bind: accountID),
                    \(bind: scopes), \(bind: expiresMs), \(bind: MetadataStore.nowMs()), \(bind: applicationID))
            """)
    }

    /// Counts a failed sign-in.
    public func recordFailedLogin(accountID: Int64) async throws {
        try await run("""
            UPDATE account SET invalid_login_attempts = invalid_login_attempts + 1, last_invalid_login_ms = \(bind: MetadataStore.nowMs())
            WHERE id = \(bind: accountID)
            """)
    }

    /// Forgets failed sign-ins after a successful one.
    public func resetFailedLogins(accountID: Int64) async throws {
        try await run("UPDATE account SET invalid_login_attempts = 0, last_invalid_login_ms = NULL WHERE id = \(bind: accountID)")
    }

    /// Registers the public key of an instance's registry-token signing key.
    public func saveServiceKey(kid: String, service: String, publicKeyPEM: String) async throws {
        try await run("""
            INSERT INTO service_key (kid, service, public_key_pem, created_ms)
            VALUES (\(bind: kid), \(bind: service), \(bind: publicKeyPEM), \(bind: MetadataStore.nowMs()))
            ON CONFLICT (kid) DO NOTHING
            """)
    }
}

private struct FailedLoginsRow: Decodable { let invalid_login_attempts: Int; let last_invalid_login_ms: Int64? }
