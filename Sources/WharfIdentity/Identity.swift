import WharfMetadata

/// Who is making a request, and with which credential.
public struct Identity: Sendable {
    /// The kind of credential, with the names Quay puts in a registry token's `context.entity_kind`.
    public enum Kind: String, Sendable, Codable {
        case user
        case oauthToken = "oauthtoken"
        case anonymous
    }

    public let kind: Kind
    public let account: AccountRecord?
    /// Scopes that cap the caller's roles; nil when the credential is not scoped (a password login).
    public let scopes: Set<Scope>?
    public let isSuperuser: Bool

    public init(kind: Kind, account: AccountRecord?, scopes: Set<Scope>?, isSuperuser: Bool) {
        self.kind = kind
        self.account = account
        self.scopes = scopes
        self.isSuperuser = isSuperuser
    }

    public static let anonymous = Identity(kind: .anonymous, account: nil, scopes: [], isSuperuser: false)

    public var isAnonymous: Bool { account == nil }

    /// The name Quay puts in a registry token's `sub` claim.
    public var subject: String { account?.username ?? "(anonymous)" }

    /// Whether the credential's scopes allow `scope` (unscoped credentials allow everything).
    public func allows(_ scope: Scope) -> Bool { scopes?.contains(scope) ?? true }

    /// The highest repository role the credential's scopes allow.
    public var repositoryRoleCap: RepositoryRole? {
        guard let scopes else { return .admin }
        if scopes.contains(.repoAdmin) { return .admin }
        if scopes.contains(.repoWrite) { return .write }
        if scopes.contains(.repoRead) { return .read }
        return nil
    }
}
