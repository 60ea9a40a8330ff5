import Foundation
import WharfMetadata

/// Application-specific tokens: 120-character passwords a user creates for `docker login` as `$app`.
/// The secret half is stored hashed (to check) and sealed (the owner may view it again, as in Quay).
public struct AppTokenService: Sendable {
    let store: MetadataStore
    let sealer: SecretSealer
    let authenticator: Authenticator
    /// Lifetime of new tokens (`APP_SPECIFIC_TOKEN_EXPIRATION`); nil: they do not expire.
    let lifetime: TimeInterval?

    public init(store: MetadataStore, sealer: SecretSealer, authenticator: Authenticator, lifetime: TimeInterval?) {
        self.store = store
        self.sealer = sealer
        self.authenticator = authenticator
        self.lifetime = lifetime
    }

    /// Creates a token titled `title`; returns it with its full value. With `limit`, titles are unique
    /// among the user's tokens and it may hold at most `limit` (`MetadataError.conflict` otherwise).
    public func create(for user: AccountRecord, title: String, limit: Int? = nil, by performer: Performer) async throws -> (record: AppTokenRecord, token: String) {
        let trimmed = title.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 255 else { throw DomainError.invalidRequest("Token title must be between 1 and 255 characters") }
        let token = Secrets.randomToken(length: AppTokenFormat.length)
        let (name, secret) = AppTokenFormat.split(token)!
        let expires = lifetime.map { MetadataStore.nowMs() + Int64($0 * 1000) }
        let sealed = try sealer.seal(secret)
        let record = try await store.transaction { tx in
            let record = try await tx.createAppToken(accountID: user.id, title: trimmed, tokenName: name, tokenHash: Secrets.sha256Hex(secret),
                                                     tokenSealed: sealed, expiresMs: expires, uniquePerAccount: limit)
            try await tx.emit(.createAppSpecificToken, namespace: user, by: performer,
                              details: ["app_specific_token_title": trimmed, "app_specific_token": record.uuid])
            return record
        }
        return (record, token)
    }

    /// Portus's limit on a user's application tokens.
    public static let portusLimit = 5

    /// Creates a token the Portus way: its application name is required, at most 255 characters and
    /// unique among the user's tokens, and a user has at most `portusLimit` tokens.
    public func createForApplication(_ application: String?, for user: AccountRecord, by performer: Performer) async throws -> (record: AppTokenRecord, token: String) {
        let title = application?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !title.isEmpty else { throw DomainError.invalidFields(["application": ["can't be blank"]]) }
        guard title.count <= 255 else { throw DomainError.invalidFields(["application": ["is too long (maximum is 255 characters)"]]) }
        do {
            return try await create(for: user, title: title, limit: Self.portusLimit, by: performer)
        } catch MetadataError.conflict("title") {
            throw DomainError.invalidFields(["application": ["has already been taken"]])
        } catch MetadataError.conflict("limit") {
            throw DomainError.invalidFields(["base": ["Users cannot have more than \(Self.portusLimit) application tokens"]])
        }
    }

    /// Quay's window when no token lifetime is configured (`4w`).
    static let defaultExpirationWindow: TimeInterval = 4 * 7 * 86_400

    /// The user's tokens; with `onlyExpiring`, those still valid that expire soon (within a tenth of
    /// the configured lifetime, or of four weeks), as Quay's `get_expiring_tokens`.
    public func tokens(of user: AccountRecord, onlyExpiring: Bool) async throws -> [AppTokenRecord] {
        guard onlyExpiring else { return try await store.appTokens(accountID: user.id) }
        let now = MetadataStore.nowMs()
        let soon = Int64(max(1, ((lifetime ?? Self.defaultExpirationWindow) * 0.1).rounded(.up)) * 1000)
        return try await store.appTokens(accountID: user.id, expiringBetween: (now, now + soon))
    }

    /// The full token value of a stored token.
    public func value(of record: AppTokenRecord) -> String? {
        sealer.open(record.tokenSealed).map { record.tokenName + $0 }
    }

    /// Revokes a token.
    public func revoke(_ record: AppTokenRecord, of user: AccountRecord, by performer: Performer) async throws {
        try await store.transaction { tx in
            try await tx.deleteAppToken(id: record.id)
            try await tx.emit(.revokeAppSpecificToken, namespace: user, by: performer,
                              details: ["app_specific_token_title": record.title, "app_specific_token": record.uuid])
        }
        authenticator.forgetCachedCredentials()
    }
}
