import Foundation
import WharfMetadata
import WharfOCI

/// Repositories as the APIs manage them: creating, describing, deleting, and changing visibility and
/// state. Each change is logged with Quay's kind.
public struct RepositoryService: Sendable {
    let store: MetadataStore
    let permissions: PermissionResolver
    let audit: AuditLog
    let deletion: DeletionPolicy

    public init(store: MetadataStore, permissions: PermissionResolver, audit: AuditLog, deletion: DeletionPolicy) {
        self.store = store
        self.permissions = permissions
        self.audit = audit
        self.deletion = deletion
    }

    /// Creates `namespace/name`. The caller must be allowed to create there (own namespace, or team
    /// role `creator`/`admin`); `refused` is thrown otherwise, whether or not the namespace exists.
    public func create(namespace namespaceName: String, name: String, visibility: Visibility, description: String?,
                       by performer: Performer, refused: any Error) async throws -> RepositoryRecord {
        guard let namespace = try await store.account(named: namespaceName), !namespace.isRobot,
              try await permissions.mayCreateRepository(performer.identity, in: namespace) else { throw refused }
        guard RepositoryName("\(namespaceName)/\(name)") != nil else { throw DomainError.invalidRequest("Invalid repository name") }
        if try await store.repository(namespace: namespaceName, name: name) != nil {
            throw DomainError.invalidRequest("Repository already exists")
        }
        let repository = try await store.createRepository(namespaceID: namespace.id, name: name, visibility: visibility,
                                                          creatorID: performer.account?.id)
        if let description { try await store.setDescription(repositoryID: repository.id, description) }
        await audit.record("create_repo", namespace: namespace, by: performer, repository: repository,
                           metadata: ["repo": name, "namespace": namespaceName])
        return repository
    }

    /// Sets the description.
    public func describe(_ repository: RepositoryRecord, as description: String, by performer: Performer) async throws {
        try await store.setDescription(repositoryID: repository.id, description)
        await audit.record("set_repo_description", namespace: nil, by: performer, repository: repository,
                           metadata: ["repo": repository.name, "namespace": repository.namespaceName, "description": description])
    }

    /// Makes the repository public or private. A repository of a public namespace (Portus's namespace
    /// visibility) is public whatever its own setting, so making it private is refused.
    public func setVisibility(_ repository: RepositoryRecord, _ visibility: Visibility, by performer: Performer) async throws {
        if visibility == .private, repository.namespaceVisibility == .public {
            throw DomainError.invalidRequest("The namespace \(repository.namespaceName) is public, and so are its repositories; change the namespace's visibility first")
        }
        try await store.setVisibility(repositoryID: repository.id, visibility)
        await audit.record("change_repo_visibility", namespace: nil, by: performer, repository: repository,
                           metadata: ["repo": repository.name, "namespace": repository.namespaceName, "visibility": visibility.rawValue])
    }

    /// Sets the state: `readOnly` and `mirror` repositories refuse pushes.
    public func setState(_ repository: RepositoryRecord, _ state: RepositoryState, by performer: Performer) async throws {
        guard state != .markedForDeletion else { throw DomainError.invalidRequest("Invalid repository state") }
        try await store.setState(repositoryID: repository.id, state)
        await audit.record("change_repo_state", namespace: nil, by: performer, repository: repository,
                           metadata: ["repo": repository.name, "namespace": repository.namespaceName,
                                      "state_changed": RepositoryService.name(of: state)])
    }

    /// Deletes the repository with its tags, manifests and links (blobs are left to garbage collection).
    public func delete(_ repository: RepositoryRecord, by performer: Performer) async throws {
        try await deletion.requireMayDelete(in: repository, by: performer.identity)
        await audit.record("delete_repo", namespace: nil, by: performer, repository: repository,
                           metadata: ["repo": repository.name, "namespace": repository.namespaceName])
        try await store.deleteRepository(id: repository.id)
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
