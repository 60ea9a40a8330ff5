import WharfMetadata

/// Who may delete in a namespace with an owning team (Portus's): images, tags, repositories and the
/// namespace itself go only while `delete.enabled` is on, and only by owners (and administrators), or
/// contributors too with `delete.contributors`. Every API and the registry apply it; namespaces without
/// an owning team follow Quay's roles alone.
public struct DeletionPolicy: Sendable {
    let permissions: PermissionResolver
    let rules: PortusRules

    public init(permissions: PermissionResolver, rules: PortusRules) {
        self.permissions = permissions
        self.rules = rules
    }

    /// Refuses (`forbidden`) a deletion in `repository` that Portus's switches do not allow the caller.
    public func requireMayDelete(in repository: RepositoryRecord, by identity: Identity) async throws {
        guard repository.namespaceOwnerTeamId != nil else { return }
        let role = identity.isSuperuser ? .admin : try await permissions.role(of: identity, on: repository)
        guard allowsDeletion(in: repository, by: role) else { throw DomainError.forbidden }
    }

    /// Whether a caller holding `role` on `repository` may delete there (always, outside team-owned namespaces).
    public func allowsDeletion(in repository: RepositoryRecord, by role: RepositoryRole?) -> Bool {
        repository.namespaceOwnerTeamId == nil || rules.allowsDeletion(by: role)
    }

    /// Refuses (`forbidden`) deleting a namespace with an owning team while deletion is off.
    public func requireMayDelete(namespace: AccountRecord) throws {
        guard namespace.ownerTeamId == nil || rules.deleteEnabled else { throw DomainError.forbidden }
    }
}
