import WharfMetadata

/// The one access policy: what a caller may do with a repository, a namespace, a team or an account,
/// for every API and for the registry's token endpoint. It follows Quay's model (roles come from
/// ownership, team membership and explicit grants, and the credential's scopes cap them), with
/// Portus's rules on top (`AccessPolicy+Portus.swift`): its `config.yml` switches, and its delete
/// switches in namespaces with an owning team, which bind every API.
///
/// For a repository the answer is a `RepositoryGrant`, decided once per request (`grant(to:on:)`): the
/// caller's role and the registry actions it permits, with the repository's state and the delete
/// switches applied. The domain's services take the grant where a rule depends on it (deletions), so
/// the role is never computed twice. Each API maps a refusal to its own status codes in one place.
public struct AccessPolicy: Sendable {
    let store: MetadataStore
    /// `FEATURE_SUPERUSERS_FULL_ACCESS`: superusers may read and administer every namespace.
    let superusersFullAccess: Bool
    /// Portus's switches (`PORTUS_…`).
    public let rules: PortusRules

    public init(store: MetadataStore, superusersFullAccess: Bool = false, rules: PortusRules = PortusRules()) {
        self.store = store
        self.superusersFullAccess = superusersFullAccess
        self.rules = rules
    }

    /// What `identity` may do with `repository`: its role, and the registry actions that role permits in
    /// the repository's state under the delete switches.
    public func grant(to identity: Identity, on repository: RepositoryRecord) async throws -> RepositoryGrant {
        grant(role: try await role(of: identity, on: repository), on: repository)
    }

    /// The grant of a caller holding `role`.
    func grant(role: RepositoryRole?, on repository: RepositoryRecord) -> RepositoryGrant {
        var actions = RepositoryAction.permitted(by: role, state: repository.state)
        let deletionAllowed = allowsDeletion(in: repository, by: role)
        if !deletionAllowed { actions.remove(.delete) }
        return RepositoryGrant(repository: repository, role: role, actions: actions, deletionAllowed: deletionAllowed)
    }

    /// What a registry token's holder may do with `repository`: the `actions` the token names (`push`
    /// implies `delete`, as in Quay, except where an owning team's rules decide deletions: there the
    /// token must name `delete` or `*`), within what the repository's state permits.
    public func grant(toTokenActions names: some Sequence<String>, on repository: RepositoryRecord) -> RepositoryGrant {
        var actions = RepositoryAction.expand(names, pushDeletes: repository.namespaceOwnerTeamId == nil)
        if repository.state != .normal { actions.subtract([.push, .delete, .all]) }
        return RepositoryGrant(repository: repository, role: nil, actions: actions, deletionAllowed: actions.contains(.delete))
    }

    /// The actions a token for a repository that does not exist yet may carry, for a caller who may
    /// create it there: everything (a first push creates it).
    public static let creatorActions: Set<RepositoryAction> = [.pull, .push, .delete, .all]

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
