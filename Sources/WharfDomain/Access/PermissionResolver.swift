import WharfMetadata

/// Decides what an identity may do with a repository, an organization or an account, following
/// Quay's model: roles come from ownership, team membership and explicit grants, and the credential's
/// scopes cap them.
public struct PermissionResolver: Sendable {
    private let store: MetadataStore
    /// `FEATURE_SUPERUSERS_FULL_ACCESS`: superusers may read and administer every namespace.
    private let superusersFullAccess: Bool

    public init(store: MetadataStore, superusersFullAccess: Bool = false) {
        self.store = store
        self.superusersFullAccess = superusersFullAccess
    }

    /// The effective role of `identity` on `repository`, capped by its scopes; public repositories (and
    /// those of public namespaces) give everyone `read`, those of protected namespaces every signed-in caller.
    public func role(of identity: Identity, on repository: RepositoryRecord) async throws -> RepositoryRole? {
        var role: RepositoryRole?
        if let account = identity.account {
            if repository.namespaceId == account.id {
                role = .admin
            } else {
                role = try await store.heldRoles(accountID: account.id, repository: repository).max()
            }
            role = identity.capped(role)
            if bypassesChecks(identity) { role = .admin }
        }
        if repository.visibility == .public { role = max(role ?? .read, .read) }
        if repository.namespaceVisibility == .protected, identity.account != nil, identity.repositoryRoleCap != nil {
            role = max(role ?? .read, .read)
        }
        return role
    }

    /// The caller's role in an organization (the highest role of its teams there, and its role in the
    /// namespace's owning team: owner → admin, contributor → creator, viewer → member), capped by its scopes.
    public func teamRole(of identity: Identity, in organization: AccountRecord) async throws -> TeamRole? {
        guard let account = identity.account else { return nil }
        var roles = try await store.memberships(accountID: account.id)
            .filter { $0.organizationId == organization.id }.map(\.role)
        if organization.ownerTeamId != nil, let owning = try await store.ownerTeamRole(namespaceID: organization.id, accountID: account.id) {
            roles.append(owning.teamRole)
        }
        return identity.capped(roles.max())
    }

    /// Whether the caller administers the organization (an `admin` team, or a superuser with full access).
    public func administers(_ identity: Identity, organization: AccountRecord) async throws -> Bool {
        if bypassesChecks(identity) { return true }
        return try await teamRole(of: identity, in: organization) == .admin
    }

    /// Whether the caller is in a team of the organization (a superuser with full access counts).
    public func isMember(_ identity: Identity, of organization: AccountRecord) async throws -> Bool {
        if bypassesChecks(identity) { return true }
        return try await teamRole(of: identity, in: organization) != nil
    }

    /// Whether `account` belongs to the organization: a member of one of its teams, or one of its robots.
    public func belongs(_ account: AccountRecord, to organization: AccountRecord) async throws -> Bool {
        if account.isRobot { return account.username.hasPrefix(organization.username + "+") }
        return try await store.memberships(accountID: account.id).contains { $0.organizationId == organization.id }
    }

    /// Whether the caller may list a team's members: the organization's administrators and the team's own members.
    public func mayListMembers(_ identity: Identity, of team: TeamRecord, in organization: AccountRecord) async throws -> Bool {
        if try await administers(identity, organization: organization) { return true }
        guard let account = identity.account, try await isMember(identity, of: organization) else { return false }
        return try await store.isTeamMember(teamID: team.id, accountID: account.id)
    }

    /// Whether `identity` may create repositories in `namespace`: its own user namespace, or an
    /// organization where it holds the `creator` or `admin` team role (scopes `repo:create`/`org:admin`).
    public func mayCreateRepository(_ identity: Identity, in namespace: AccountRecord) async throws -> Bool {
        guard let account = identity.account else { return false }
        if namespace.isOrganization {
            if bypassesChecks(identity) { return true }
            return try await teamRole(of: identity, in: namespace).map { $0 >= .creator } ?? false
        }
        return account.id == namespace.id && identity.teamRoleCap.map { $0 >= .creator } ?? false
    }

    /// Whether the caller may administer the user account `username` (its own, with `user:admin`).
    public func administersUser(_ identity: Identity, username: String) -> Bool {
        identity.account?.username == username && !(identity.account?.isRobot ?? true) && identity.userRoleCap == .admin
    }

    /// Whether the caller may read its own account (`user:read` or `user:admin`).
    public func readsUser(_ identity: Identity, username: String) -> Bool {
        identity.account?.username == username && identity.userRoleCap != nil
    }

    /// Whether the caller administers `namespace`: its own user account, or an organization it administers.
    public func administersNamespace(_ identity: Identity, _ namespace: AccountRecord) async throws -> Bool {
        if namespace.isOrganization { return try await administers(identity, organization: namespace) }
        return administersUser(identity, username: namespace.username) || bypassesChecks(identity)
    }

    /// Superusers skip repository and organization checks only with `FEATURE_SUPERUSERS_FULL_ACCESS`.
    public func bypassesChecks(_ identity: Identity) -> Bool {
        superusersFullAccess && identity.actsAsSuperuser
    }
}

extension MemberRole {
    /// The organization role a member of a namespace's owning team holds there (Portus → Quay).
    public var teamRole: TeamRole {
        switch self {
        case .owner: return .admin
        case .contributor: return .creator
        case .viewer: return .member
        }
    }
}

extension TeamRole {
    /// The member role a Quay team's role reads as in the Portus API.
    public var memberRole: MemberRole {
        switch self {
        case .admin: return .owner
        case .creator: return .contributor
        case .member: return .viewer
        }
    }
}
