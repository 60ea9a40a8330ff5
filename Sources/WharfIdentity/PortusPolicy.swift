import WharfMetadata

/// Portus's authorization rules (its Pundit policies) over Wharf's one permission model: a caller's
/// role in a namespace is its role in the namespace's owning team or in the organization's teams (as
/// `PermissionResolver` reads them), a personal namespace is its user's, and administrators are
/// superusers, who may do everything here.
public struct PortusPolicy: Sendable {
    let store: MetadataStore
    let permissions: PermissionResolver
    public let rules: PortusRules

    public init(store: MetadataStore, permissions: PermissionResolver, rules: PortusRules) {
        self.store = store
        self.permissions = permissions
        self.rules = rules
    }

    /// A Portus administrator: a superuser.
    public func isAdmin(_ identity: Identity) -> Bool { identity.isSuperuser }

    /// The caller's role in a namespace: `owner` of its own personal namespace; in an organization, its
    /// organization role read as a member role (admin → owner, creator → contributor, member → viewer).
    public func role(of identity: Identity, in namespace: AccountRecord) async throws -> MemberRole? {
        guard let account = identity.account else { return nil }
        if !namespace.isOrganization { return account.id == namespace.id ? .owner : nil }
        return try await permissions.teamRole(of: identity, in: namespace)?.memberRole
    }

    /// The caller's role in a team: its own role there, or the team's role read as a member role.
    public func role(of identity: Identity, in team: TeamRecord) async throws -> MemberRole? {
        guard let account = identity.account, let member = try await store.teamMember(teamID: team.id, accountID: account.id) else { return nil }
        return member.role ?? team.role.memberRole
    }

    /// `NamespacePolicy#show?`/`pull?`: administrators, anyone for public and signed-in callers for
    /// protected namespaces, and whoever has a role in it.
    public func maySee(_ identity: Identity, namespace: AccountRecord) async throws -> Bool {
        if isAdmin(identity) || namespace.namespaceVisibility == .public { return true }
        if namespace.namespaceVisibility == .protected, !identity.isAnonymous { return true }
        return try await role(of: identity, in: namespace) != nil
    }

    /// `NamespacePolicy#push?`: administrators, owners and contributors.
    public func mayPush(_ identity: Identity, namespace: AccountRecord) async throws -> Bool {
        if isAdmin(identity) { return true }
        return try await role(of: identity, in: namespace).map { $0 >= .contributor } ?? false
    }

    /// `NamespacePolicy#create?` for a new namespace of `team`: administrators, or (when users may
    /// create namespaces) the team's owners and contributors.
    public func mayCreateNamespace(_ identity: Identity, team: TeamRecord) async throws -> Bool {
        if isAdmin(identity) { return true }
        guard rules.createNamespace else { return false }
        return try await role(of: identity, in: team).map { $0 >= .contributor } ?? false
    }

    /// `NamespacePolicy#update?`: administrators, or owners when `manage_namespace` is on.
    public func mayUpdate(_ identity: Identity, namespace: AccountRecord) async throws -> Bool {
        if isAdmin(identity) { return true }
        guard rules.manageNamespace else { return false }
        return try await role(of: identity, in: namespace) == .owner
    }

    /// `NamespacePolicy#change_visibility?`: administrators, or owners when `change_visibility` is on.
    public func mayChangeVisibility(_ identity: Identity, namespace: AccountRecord) async throws -> Bool {
        if isAdmin(identity) { return true }
        guard rules.changeVisibility else { return false }
        return try await role(of: identity, in: namespace) == .owner
    }

    /// `NamespacePolicy#destroy?`: deletion on, and an administrator, an owner, or a contributor when
    /// contributors may delete.
    public func mayDelete(_ identity: Identity, namespace: AccountRecord) async throws -> Bool {
        guard rules.deleteEnabled else { return false }
        if isAdmin(identity) { return true }
        return deletes(try await role(of: identity, in: namespace))
    }

    /// `RepositoryPolicy#show?`: administrators and whoever may read the repository.
    public func maySee(_ identity: Identity, repository: RepositoryRecord) async throws -> Bool {
        if isAdmin(identity) { return true }
        return try await permissions.role(of: identity, on: repository) != nil
    }

    /// `RepositoryPolicy#update?`: administrators and the repository's administrators (namespace owners).
    public func mayUpdate(_ identity: Identity, repository: RepositoryRecord) async throws -> Bool {
        if isAdmin(identity) { return true }
        return try await permissions.role(of: identity, on: repository) == .admin
    }

    /// `RepositoryPolicy#destroy?` (and `TagPolicy#destroy?`): deletion on, and an administrator, an
    /// owner, or a contributor when contributors may delete.
    public func mayDelete(_ identity: Identity, repository: RepositoryRecord) async throws -> Bool {
        guard rules.deleteEnabled else { return false }
        if isAdmin(identity) { return true }
        return rules.allowsDeletion(by: try await permissions.role(of: identity, on: repository))
    }

    /// `TeamPolicy#show?`/`member?`: administrators and the team's members.
    public func maySee(_ identity: Identity, team: TeamRecord) async throws -> Bool {
        if isAdmin(identity) { return true }
        return try await role(of: identity, in: team) != nil
    }

    /// `TeamPolicy#create?`: administrators, or anyone when users may create teams.
    public func mayCreateTeam(_ identity: Identity) -> Bool {
        isAdmin(identity) || (rules.createTeam && !identity.isAnonymous)
    }

    /// `TeamPolicy#update?`: administrators, or owners when `manage_team` is on.
    public func mayUpdate(_ identity: Identity, team: TeamRecord) async throws -> Bool {
        if isAdmin(identity) { return true }
        guard rules.manageTeam else { return false }
        return try await role(of: identity, in: team) == .owner
    }

    /// `TeamPolicy#destroy?`: deletion on, and an administrator, an owner, or a contributor when
    /// contributors may delete.
    public func mayDelete(_ identity: Identity, team: TeamRecord) async throws -> Bool {
        guard rules.deleteEnabled else { return false }
        if isAdmin(identity) { return true }
        return deletes(try await role(of: identity, in: team))
    }

    /// `TeamUserPolicy`: administrators and the team's owners manage its members.
    public func mayManageMembers(_ identity: Identity, team: TeamRecord) async throws -> Bool {
        if isAdmin(identity) { return true }
        return try await role(of: identity, in: team) == .owner
    }

    private func deletes(_ role: MemberRole?) -> Bool {
        switch role {
        case .owner: return true
        case .contributor: return rules.deleteContributors
        case .viewer, nil: return false
        }
    }
}
