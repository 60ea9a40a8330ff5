import Foundation
import WharfMetadata
import WharfOCI

/// Manifests pushed and deleted through the registry: storing one checks that everything it references
/// is in the repository and points its tag at it through `TagService` (so a push obeys every rule a tag
/// move does), in one transaction with its `push_repo` event.
public struct ManifestService: Sendable {
    let store: MetadataStore
    let tags: TagService

    public init(store: MetadataStore, tags: TagService) {
        self.store = store
        self.tags = tags
    }

    /// Stores `manifest` in `repository` and points `target` at it: a tag, or a hidden tag that keeps a
    /// manifest pushed by digest reachable. `client` is the pusher's user agent, for the log.
    @discardableResult
    public func push(_ manifest: NewManifest, to target: ManifestTarget, in repository: RepositoryRecord, by performer: Performer,
                     client: String?) async throws -> ManifestRecord {
        try TagService.requireWritable(repository)
        do {
            return try await store.transaction { tx in
                let stored = try await tx.storeManifest(manifest)
                var details: [String: String?] = ["repo": repository.name, "namespace": repository.namespaceName,
                                                  "manifest_digest": stored.digest]
                switch target {
                case .tag(let name):
                    _ = try await tags.point(name, at: stored, in: repository, by: performer, tx: tx)
                    details["tag"] = name
                case .hidden(let expiresMs):
                    try await tx.addHiddenTag(repositoryID: repository.id, manifestID: stored.id, expiresMs: expiresMs)
                }
                if let client { details["user-agent"] = client }
                if let name = performer.account?.username ?? performer.name { details["username"] = name }
                try await tx.emit(.pushRepository, by: performer, repository: repository, details: details)
                return stored
            }
        } catch ManifestStoreError.missingBlobs(let missing) {
            throw ContentError.manifestReferenceUnknown(digest: missing[0], isManifest: false)
        } catch ManifestStoreError.missingChildren(let missing) {
            throw ContentError.manifestReferenceUnknown(digest: missing[0], isManifest: true)
        }
    }

    /// Deletes the manifest `digest` from the registry: every tag pointing at it ends (each stays
    /// restorable through the time machine, and each is logged as `delete_tag`, as Quay does), and it
    /// is no longer reachable by digest. The caller's `grant` must allow deleting in the repository.
    public func delete(_ digest: String, with grant: RepositoryGrant, by performer: Performer) async throws {
        let repository = grant.repository
        try TagService.requireWritable(repository)
        try grant.require(.delete)
        try await store.transaction { tx in
            let names = try await tx.tagNames(repositoryID: repository.id, pointingAt: digest)
            guard try await tx.deleteManifest(repositoryID: repository.id, digest: digest) else {
                throw ContentError.manifestUnknown(reference: digest)
            }
            for name in names {
                try await tx.emit(.deleteTag, by: performer, repository: repository,
                                  details: TagService.details(repository, tag: name, digest: digest, by: performer))
            }
        }
    }
}
