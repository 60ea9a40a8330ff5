import Foundation
import SQLKit

extension MetadataStore {
    static let applicationColumns: SQLQueryString = """
        id, client_id, client_secret_hash, client_secret_sealed, organization_id, name, description, application_uri, redirect_uri, avatar_email
        """
}

extension MetadataReading {
    /// The organization's OAuth applications, oldest first.
    public func applications(organizationID: Int64) async throws -> [OAuthApplicationRecord] {
        try await all("SELECT \(MetadataStore.applicationColumns) FROM oauth_application WHERE organization_id = \(bind: organizationID) ORDER BY id",
                      as: OAuthApplicationRecord.self)
    }

    public func application(clientID: String) async throws -> OAuthApplicationRecord? {
        try await first("SELECT \(MetadataStore.applicationColumns) FROM oauth_application WHERE client_id = \(bind: clientID)", as: OAuthApplicationRecord.self)
    }
}

extension StoreTransaction {
    /// Registers an OAuth application of an organization.
    public func createApplication(organizationID: Int64, clientID: String, secretHash: String, secretSealed: String, name: String,
                                  description: String, applicationURI: String, redirectURI: String, avatarEmail: String?) async throws -> OAuthApplicationRecord {
        try await pool.transaction { db in
            try await db.raw("""
                INSERT INTO oauth_application (client_id, client_secret_hash, client_secret_sealed, organization_id, name, description,
                                               application_uri, redirect_uri, avatar_email)
                VALUES (\(bind: clientID), \(bind: secretHash), \(bind: secretSealed), \(bind: organizationID), \(bind: name),
                        \(bind: description), \(bind: applicationURI), \(bind: redirectURI), \(bind: avatarEmail))
                RETURNING \(MetadataStore.applicationColumns)
                """).first(decoding: OAuthApplicationRecord.self, with: decoder)!
        }
    }

    /// Changes an application's descriptive fields.
    public func updateApplication(id: Int64, name: String, description: String, applicationURI: String, redirectURI: String,
                                  avatarEmail: String?) async throws {
        try await run("""
            UPDATE oauth_application SET name = \(bind: name), description = \(bind: description), application_uri = \(bind: applicationURI),
                   redirect_uri = \(bind: redirectURI), avatar_email = \(bind: avatarEmail) WHERE id = \(bind: id)
            """)
    }

    /// Deletes an application with the tokens and codes issued through it.
    public func deleteApplication(id: Int64) async throws {
        try await pool.transaction { db in
            try await db.raw("DELETE FROM oauth_access_token WHERE application_id = \(bind: id)").run()
            try await db.raw("DELETE FROM oauth_application WHERE id = \(bind: id)").run()
        }
    }

    /// Stores an authorization code (its secret part as a hash) for the code flow.
    public func createAuthorizationCode(applicationID: Int64, accountID: Int64, codeName: String, codeHash: String,
                                        scopes: String, redirectURI: String, expiresMs: Int64) async throws {
        try await run("""
            INSERT INTO oauth_authorization_code (application_id, account_id, code_name, code_hash, scopes, redirect_uri, expires_ms)
            VALUES (\(bind: applicationID), \(bind: accountID), \(bind: codeName), \(bind: codeHash), \(bind: scopes),
                    \(bind: redirectURI), \(bind: expiresMs))
            """)
    }

    /// Removes and returns the authorization code `codeName` (a code is good for one exchange).
    public func takeAuthorizationCode(codeName: String) async throws -> AuthorizationCodeRecord? {
        try await pool.transaction { db in
            try await db.raw("""
                DELETE FROM oauth_authorization_code WHERE code_name = \(bind: codeName)
                RETURNING id, application_id, account_id, code_hash, scopes, redirect_uri, expires_ms
                """).first(decoding: AuthorizationCodeRecord.self, with: decoder)
        }
    }
}
