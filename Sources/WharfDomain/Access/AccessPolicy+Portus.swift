import WharfMetadata

/// Portus's authorization rules (its Pundit policies) over the one permission model: a caller's role in
/// a namespace is its role in the namespace's owning team or in the organization's teams, a personal
/// namespace is its user's, and administrators are superusers, who may do everything here; and Portus's
/// delete switches, which bind every API in namespaces with an owning team.
extension AccessPolicy {
    /// Whether a caller holding `role` on `repository` may delete there: always outside namespaces with
    /// an owning team; inside, `delete.enabled`, and an owner (or a contributor with `delete.contributors`).
    public func allowsDeletion(in repository: RepositoryRecord, by role: RepositoryRole?) -> Bool {
        repository.namespaceOwnerTeamId == nil || rules.allowsDeletion(by: role)
    }

    /// Refuses (`forbidden`) deleting a namespace with an owning team while deletion is off.
    public func requireMayDelete(namespace: AccountRecord) throws {
        guard namespace.ownerTeamId == nil || rules.deleteEnabled else { throw DomainError.forbidden }
    }

    /// A Portus administrator: a superuser.
    public func isAdmin(_ identity: Identity) -> Bool { identity.isSuperuser }

    /// The grant on `repository` in Portus's model, where administrators may do everything.
    public func portusGrant(to identity: Identity, on repository: RepositoryRecord) async throws -> RepositoryGrant {
        isAdmin(identity) ? grant(role: .admin, on: repository) : try await grant(to: identity, on: repository)
    }

    /// The caller's role in a namespace: `owner` of its own personal namespace; in an organization, its
    /// organization role read as a member role (admin → owner, creator → contributor, member → viewer).
    public func role(of identity: Identity, in namespace: AccountRecord) async throws -> MemberRole? {
        guard let account = identity.account else { return nil }
        if !namespace.isOrganization { return account.id == namespace.id ? .owner : nil }
        return try await teamRole(of: identity, in: namespace)?.memberRole
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
        switch try await role(of: identity, in: namespace) {
        case .owner: return true
        case .contributor: return rules.deleteContributors
        case .viewer, nil: return false
        }
    }

    /// `RepositoryPolicy#show?`: administrators and whoever may read the repository.
    public func maySee(_ grant: RepositoryGrant, by identity: Identity) -> Bool {
        isAdmin(identity) || grant.role != nil
    }

    /// `RepositoryPolicy#update?`: administrators and the repository's administrators (namespace owners).
    public func mayUpdate(_ grant: RepositoryGrant, by identity: Identity) -> Bool {
        isAdmin(identity) || grant.role == .admin
    }

    /// `RepositoryPolicy#destroy?` (and `TagPolicy#destroy?`): deletion on, and an administrator, an
    /// owner, or a contributor when contributors may delete.
    public func mayDelete(_ grant: RepositoryGrant, by identity: Identity) -> Bool {
        guard rules.deleteEnabled else { return false }
        return isAdmin(identity) || rules.allowsDeletion(by: grant.role)
    }

    /// `TeamPolicy#show?`/`member?`: administrators and the team's members.
    public func maySee(_ identity: Identity, team: TeamRecord) async throws -> Bool {
        if isAdmin(identity) { return true }
        return try await role(of: identity, in: team) != nil
    }

    /// `TeamPolicy#member?` for the member list, which shows e-mail addresses: a Portus team's members and
    /// administrators, as in Portus; for a Quay organization's team, only the organization's
    /// administrators and Portus administrators (Quay shows its members no one's e-mail address).
    public func mayListMembers(_ identity: Identity, team: TeamRecord, isPortusTeam: Bool) async throws -> Bool {
        if isPortusTeam { return try await maySee(identity, team: team) }
        if isAdmin(identity) { return true }
        guard let organization = try await store.account(id: team.organizationId) else { return false }
        return try await administers(identity, organization: organization)
    }

    /// `TeamPolicy#create?`: administrators, or anyone when users may create teams; only administrators
    /// name another user (`owner_id`) as the new team's owner.
    public func mayCreateTeam(_ identity: Identity, ownedBy owner: AccountRecord? = nil) -> Bool {
        if isAdmin(identity) { return true }
        guard owner == nil || owner?.id == identity.account?.id else { return false }
        return rules.createTeam && !identity.isAnonymous
    }

    /// Who may list and create a user's application tokens: the user and administrators (Portus let any
    /// user do it for anyone, SUSE/Portus#2319).
    public func mayManageTokens(ofUserID userID: Int64, _ identity: Identity) -> Bool {
        identity.account?.id == userID || isAdmin(identity)
    }

    /// Who may delete an application token: its owner, and administrators when the owner is a bot.
    public func mayRevokeToken(of owner: AccountRecord, _ identity: Identity) -> Bool {
        owner.id == identity.account?.id || (isAdmin(identity) && owner.bot)
    }

    /// `TeamPolicy#update?`: administrators, or owners when `manage_team` is on.
    public func mayUpdate(_ identity: Identity, team: TeamRecord) async throws -> Bool {
        if isAdmin(identity) { return true }
        guard rules.manageTeam else { return false }
        return try await role(of: identity, in: team) == .owner
    }

    /// `TeamPolicy#destroy?`: deletion on, and an administrator or an owner. (Portus also named
    /// contributors when they may delete, but its check for them did not exist and failed with a 500;
    /// deleting a team deletes its namespaces, so Wharf keeps it to owners.)
    public func mayDelete(_ identity: Identity, team: TeamRecord) async throws -> Bool {
        guard rules.deleteEnabled else { return false }
        if isAdmin(identity) { return true }
        return try await role(of: identity, in: team) == .owner
    }

    /// `TeamUserPolicy`: administrators and the team's owners manage its members.
    public func mayManageMembers(_ identity: Identity, team: TeamRecord) async throws -> Bool {
        if isAdmin(identity) { return true }
        return try await role(of: identity, in: team) == .owner
    }
}
