import WharfMetadata

/// Decides what an identity may do with a repository or in a namespace, following Quay's model.
public struct PermissionResolver: Sendable {
    private let store: MetadataStore

    public init(store: MetadataStore) {
        self.store = store
    }

    /// The effective role of `identity` on `repository`, capped by its scopes; public repositories give
    /// everyone `read`.
    public func role(of identity: Identity, on repository: RepositoryRecord) async throws -> RepositoryRole? {
        var role: RepositoryRole?
        if let account = identity.account {
            if repository.namespaceId == account.id {
                role = .admin
            } else {
                role = try await store.explicitRole(accountID: account.id, repositoryID: repository.id)
            }
            if let granted = role, let cap = identity.repositoryRoleCap {
                role = min(granted, cap)
            } else if identity.repositoryRoleCap == nil {
                role = nil
            }
        }
        if repository.visibility == .public { role = max(role ?? .read, .read) }
        return role
    }

    /// Whether `identity` may create repositories in `namespace` (their own namespace, for now).
    public func mayCreateRepository(_ identity: Identity, in namespace: AccountRecord) -> Bool {
        guard let account = identity.account, account.id == namespace.id, !namespace.isOrganization else { return false }
        return identity.allows(.repoCreate) || identity.allows(.repoWrite) || identity.allows(.repoAdmin)
    }
}
