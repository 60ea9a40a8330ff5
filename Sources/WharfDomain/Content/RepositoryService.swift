import Foundation
import WharfMetadata
import WharfOCI

/// Repositories as the APIs manage them: creating, describing, deleting, and changing visibility and
/// state. Each change is logged with Quay's kind.
public struct RepositoryService: Sendable {
    let store: MetadataStore
    let policy: AccessPolicy

    public init(store: MetadataStore, policy: AccessPolicy) {
        self.store = store
        self.policy = policy
    }

    /// Creates `namespace/name`. The caller must be allowed to create there (own namespace, or team
    /// role `creator`/`admin`); `refused` is thrown otherwise, whether or not the namespace exists.
    public func create(namespace namespaceName: String, name: String, visibility: Visibility, description: String?,
                       by performer: Performer, refused: any Error) async throws -> RepositoryRecord {
        guard let namespace = try await store.account(named: namespaceName), !namespace.isRobot,
              try await policy.mayCreateRepository(performer.identity, in: namespace) else { throw refused }
        guard RepositoryName("\(namespaceName)/\(name)") != nil else { throw DomainError.invalidRequest("Invalid repository name") }
        return try await store.transaction { tx in
            guard let repository = try await create(name, in: namespace, visibility: visibility, by: performer, tx: tx) else {
                throw DomainError.invalidRequest("Repository already exists")
            }
            if let description { try await tx.setDescription(repositoryID: repository.id, description) }
            return repository
        }
    }

    /// Creates repository `name` in `namespace` as part of `tx` (`create_repo`), with Quay's grants: the
    /// creator administers it, unless the namespace has an owning team (Portus's, whose roles keep
    /// deciding, so that losing the team role takes the access away), and an organization's default
    /// permissions apply. Nil when it exists already (created meanwhile).
    public func create(_ name: String, in namespace: AccountRecord, visibility: Visibility, by performer: Performer,
                       tx: StoreTransaction) async throws -> RepositoryRecord? {
        guard let repository = try await tx.createRepository(namespaceID: namespace.id, name: name, visibility: visibility) else { return nil }
        if let creator = performer.account {
            if namespace.ownerTeamId == nil {
                try await tx.setPermission(repositoryID: repository.id, accountID: creator.id, role: .admin)
            }
            if creator.id != namespace.id { try await applyDefaultPermissions(to: repository, creator: creator, tx: tx) }
        }
        try await tx.emit(.createRepository, namespace: namespace, by: performer, repository: repository,
                          details: ["repo": name, "namespace": namespace.username])
        return repository
    }

    /// Creates repository `name` in `namespace` for a first push into it, private (as Quay does), when the
    /// performer may create repositories there; the repository whether created now or meanwhile by
    /// another push.
    public func createForPush(_ name: String, in namespace: AccountRecord, by performer: Performer) async throws -> RepositoryRecord {
        guard try await policy.mayCreateRepository(performer.identity, in: namespace) else { throw DomainError.forbidden }
        return try await store.transaction { tx in
            if let created = try await create(name, in: namespace, visibility: .private, by: performer, tx: tx) { return created }
            guard let existing = try await tx.repository(namespace: namespace.username, name: name) else { throw DomainError.notFound }
            return existing
        }
    }

    /// Quay's default permissions (prototypes) for a repository `creator` just made in an organization:
    /// each delegate gets the highest role of the prototypes that match the creator or match anyone.
    private func applyDefaultPermissions(to repository: RepositoryRecord, creator: AccountRecord, tx: StoreTransaction) async throws {
        var users: [Int64: RepositoryRole] = [:]
        var teams: [Int64: RepositoryRole] = [:]
        for prototype in try await tx.prototypes(organizationID: repository.namespaceId)
        where prototype.activatingAccountId == nil || prototype.activatingAccountId == creator.id {
            if let account = prototype.delegateAccountId { users[account] = max(users[account] ?? prototype.role, prototype.role) }
            if let team = prototype.delegateTeamId { teams[team] = max(teams[team] ?? prototype.role, prototype.role) }
        }
        for (account, role) in users where account != creator.id {
            try await tx.addPermission(repositoryID: repository.id, accountID: account, role: role)
        }
        for (team, role) in teams {
            try await tx.addTeamPermission(repositoryID: repository.id, teamID: team, role: role)
        }
    }

    /// Sets the description.
    public func describe(_ repository: RepositoryRecord, as description: String, by performer: Performer) async throws {
        try await store.transaction { tx in
            try await tx.setDescription(repositoryID: repository.id, description)
            try await tx.emit(.setRepositoryDescription, by: performer, repository: repository,
                              details: ["repo": repository.name, "namespace": repository.namespaceName, "description": description])
        }
    }

    /// Makes the repository public or private. A repository of a public namespace (Portus's namespace
    /// visibility) is public whatever its own setting, so making it private is refused.
    public func setVisibility(_ repository: RepositoryRecord, _ visibility: Visibility, by performer: Performer) async throws {
        if visibility == .private, repository.namespaceVisibility == .public {
            throw DomainError.invalidRequest("The namespace \(repository.namespaceName) is public, and so are its repositories; change the namespace's visibility first")
        }
        try await store.transaction { tx in
            try await tx.setVisibility(repositoryID: repository.id, visibility)
            try await tx.emit(.changeRepositoryVisibility, by: performer, repository: repository,
                              details: ["repo": repository.name, "namespace": repository.namespaceName, "visibility": visibility.rawValue])
        }
    }

    /// Sets the state: `readOnly` and `mirror` repositories refuse pushes.
    public func setState(_ repository: RepositoryRecord, _ state: RepositoryState, by performer: Performer) async throws {
        guard state != .markedForDeletion else { throw DomainError.invalidRequest("Invalid repository state") }
        try await store.transaction { tx in
            try await tx.setState(repositoryID: repository.id, state)
            try await tx.emit(.changeRepositoryState, by: performer, repository: repository,
                              details: ["repo": repository.name, "namespace": repository.namespaceName, "state_changed": Self.name(of: state)])
        }
    }

    /// Deletes the repository with its tags, manifests and links (blobs are left to garbage collection),
    /// when the delete switches let the holder of `grant` delete there.
    public func delete(with grant: RepositoryGrant, by performer: Performer) async throws {
        let repository = grant.repository
        guard grant.deletionAllowed else { throw DomainError.forbidden }
        try await store.transaction { tx in
            try await tx.emit(.deleteRepository, by: performer, repository: repository,
                              details: ["repo": repository.name, "namespace": repository.namespaceName])
            try await tx.deleteRepository(id: repository.id)
        }
    }

    /// Quay's state names.
    public static func name(of state: RepositoryState) -> String {
        switch state {
        case .normal: return "NORMAL"
        case .readOnly: return "READ_ONLY"
        case .mirror: return "MIRROR"
        case .markedForDeletion: return "MARKED_FOR_DELETION"
        }
    }

    /// The state Quay names `name`.
    public static func state(named name: String) -> RepositoryState? {
        [RepositoryState.normal, .readOnly, .mirror].first { Self.name(of: $0) == name }
    }
}
