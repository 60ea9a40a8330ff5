import WharfMetadata

/// Repositories users star (Quay's starred list).
public struct StarService: Sendable {
    let store: MetadataStore

    public init(store: MetadataStore) {
        self.store = store
    }

    /// Stars `repository` for `account` (starring twice is harmless).
    public func star(_ repository: RepositoryRecord, for account: AccountRecord, by performer: Performer) async throws {
        try await store.transaction { tx in
            try await tx.star(accountID: account.id, repositoryID: repository.id)
            try await tx.emit(.repositoryStar, by: performer, repository: repository)
        }
    }

    /// Removes `account`'s star from `repository` (removing a missing one is harmless).
    public func unstar(_ repository: RepositoryRecord, for account: AccountRecord, by performer: Performer) async throws {
        try await store.transaction { tx in
            try await tx.unstar(accountID: account.id, repositoryID: repository.id)
            try await tx.emit(.repositoryUnstar, by: performer, repository: repository)
        }
    }
}
