import WharfMetadata

/// Who is making a request, and with which credential.
public struct Identity: Sendable {
    /// The kind of credential, with the names Quay puts in a registry token's `context.entity_kind`.
    public enum Kind: String, Sendable, Codable {
        case user
        case robot
        case oauthToken = "oauthtoken"
        case appSpecificToken = "appspecifictoken"
        case anonymous
    }

    public let kind: Kind
    public let account: AccountRecord?
    /// Scopes that cap the caller's roles; nil when the credential is not scoped (a password, a session,
    /// a robot or an app token: Quay's "direct login").
    public let scopes: Set<Scope>?
    /// Whether the account is listed in `SUPER_USERS` (see `actsAsSuperuser` for whether it may act so).
    public let isSuperuser: Bool
    /// The UUID of the token the caller presented (OAuth and app-specific tokens), for registry tokens'
    /// `context.entity_reference`.
    public let tokenUUID: String?

    public init(kind: Kind, account: AccountRecord?, scopes: Set<Scope>?, isSuperuser: Bool, tokenUUID: String? = nil) {
        self.kind = kind
        self.account = account
        self.scopes = scopes
        self.isSuperuser = isSuperuser
        self.tokenUUID = tokenUUID
    }

    /// Quay's `context.entity_reference`: the user's UUID, the robot's name, or the token's UUID.
    public var entityReference: String? {
        switch kind {
        case .robot: return account?.username
        case .oauthToken, .appSpecificToken: return tokenUUID
        case .user: return account?.uuid
        case .anonymous: return nil
        }
    }

    /// Quay's `context.kind`: `oauth` for OAuth tokens, `user` for users, robots and app tokens.
    public var contextKind: String {
        switch kind {
        case .oauthToken: return "oauth"
        case .anonymous: return "anonymous"
        case .user, .robot, .appSpecificToken: return "user"
        }
    }

    public static let anonymous = Identity(kind: .anonymous, account: nil, scopes: [], isSuperuser: false)

    public var isAnonymous: Bool { account == nil }

    /// The name Quay puts in a registry token's `sub` claim.
    public var subject: String { account?.username ?? "(anonymous)" }

    /// Whether the credential's scopes allow `scope` (unscoped credentials allow everything).
    public func allows(_ scope: Scope) -> Bool { scopes?.contains(scope) ?? true }

    /// Superuser powers need a superuser account and a credential that carries them (unscoped, or with
    /// the `super:user` scope).
    public var actsAsSuperuser: Bool { isSuperuser && allows(.superUser) }

    /// The highest repository role the credential's scopes allow.
    public var repositoryRoleCap: RepositoryRole? {
        guard let scopes else { return .admin }
        if scopes.contains(.repoAdmin) { return .admin }
        if scopes.contains(.repoWrite) { return .write }
        if scopes.contains(.repoRead) { return .read }
        return nil
    }

    /// The highest team role the credential's scopes allow (Quay: `org:admin` → admin,
    /// `repo:create` → creator); nil when team roles count for nothing.
    public var teamRoleCap: TeamRole? {
        guard let scopes else { return .admin }
        if scopes.contains(.orgAdmin) { return .admin }
        if scopes.contains(.repoCreate) { return .creator }
        return nil
    }

    /// Whether the credential may act on its own account: `admin` needs `user:admin`, `read` needs
    /// `user:read` or `user:admin`.
    public var userRoleCap: UserRole? {
        guard let scopes else { return .admin }
        if scopes.contains(.userAdmin) { return .admin }
        if scopes.contains(.userRead) { return .read }
        return nil
    }

    /// `repositoryRoleCap`'s cap applied to `role`.
    public func capped(_ role: RepositoryRole?) -> RepositoryRole? {
        guard let role, let cap = repositoryRoleCap else { return nil }
        return min(role, cap)
    }

    /// `teamRoleCap`'s cap applied to `role`.
    public func capped(_ role: TeamRole?) -> TeamRole? {
        guard let role, let cap = teamRoleCap else { return nil }
        return min(role, cap)
    }
}

/// What a credential may do with its own user account.
public enum UserRole: Sendable {
    case read
    case admin
}
