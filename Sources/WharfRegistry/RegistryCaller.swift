import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata
import WharfOCI

/// Who is calling `/v2`, with the registry token they presented, if any.
struct RegistryCaller: Sendable {
    /// The caller for Basic credentials and anonymous calls; for a bearer token, the token's claims
    /// decide instead (its user is known by name; the domain looks the account up where it needs it).
    let identity: Identity
    /// Claims of a verified bearer token; nil for Basic credentials and anonymous callers.
    let claims: RegistryClaims?
    /// The bearer token itself, when there is one.
    var token: String? = nil
    /// The peer's address, for the audit log.
    var ip: String? = nil

    /// The caller as the domain's events record it (a token's holder by name).
    var performer: Performer { Performer(identity: identity, ip: ip, name: claims?.context.user) }
}

extension RegistryCaller {
    /// The account whose repositories the caller may list: from Basic credentials or the user a bearer
    /// token was issued to; nil for anonymous callers and for credentials whose scopes allow no reads.
    func catalogAccount(in store: MetadataStore) async throws -> AccountRecord? {
        guard let claims else { return identity.repositoryRoleCap == nil ? nil : identity.account }
        guard let user = claims.context.user else { return nil }
        if let scopes = claims.context.scopes {
            let scoped = Identity(kind: .oauthToken, account: nil, scopes: Scope.parseList(scopes), isSuperuser: false)
            if scoped.repositoryRoleCap == nil { return nil }
        }
        return try await store.account(named: user)
    }
}
