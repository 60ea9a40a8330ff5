import Foundation
import WharfMetadata
import WharfOCI
import WharfStorage

/// Blobs linked into repositories other than by an upload: mounted from another repository
/// (`blob_mount`), or unlinked (`blob_delete`). Whether unlinked bytes go is garbage collection's decision.
public struct BlobService: Sendable {
    let store: MetadataStore
    let blobs: BlobStore
    /// `PUSH_TEMP_TAG_EXPIRATION_SEC`: how long a mounted blob stays linked before a manifest refers to it.
    let temporaryLinkSeconds: Int64

    public init(store: MetadataStore, blobs: BlobStore, temporaryLinkSeconds: Int64) {
        self.store = store
        self.blobs = blobs
        self.temporaryLinkSeconds = temporaryLinkSeconds
    }

    /// Links `digest` from `source` into `target` when it is linked in the source and its bytes are
    /// stored; false otherwise (the client then uploads it).
    public func mount(_ digest: Digest, from source: RepositoryRecord, into target: RepositoryRecord, by performer: Performer?) async throws -> Bool {
        guard let blob = try await store.linkedBlob(repositoryID: source.id, digest: digest.description),
              try await blobs.size(of: digest) != nil else { return false }
        try await store.transaction { tx in
            try await tx.linkUploadedBlob(repositoryID: target.id, digest: blob.digest, size: blob.size,
                                          expiresMs: MetadataStore.nowMs() + temporaryLinkSeconds * 1000)
            try await tx.emit(DomainEvent(.blobMount, repositoryID: target.id, by: performer,
                                          details: ["digest": blob.digest, "size": String(blob.size), "from": "\(source.namespaceName)/\(source.name)"]))
        }
        return true
    }

    /// Removes `digest` from the repository of `grant`, whatever linked it there (an upload, a mount or a
    /// manifest); the grant must allow deleting there.
    public func unlink(_ digest: Digest, with grant: RepositoryGrant, by performer: Performer?) async throws {
        let repository = grant.repository
        try TagService.requireWritable(repository)
        try grant.require(.delete)
        try await store.transaction { tx in
            guard try await tx.unlinkBlob(repositoryID: repository.id, digest: digest.description) else {
                throw ContentError.blobUnknown(digest: digest.description)
            }
            try await tx.emit(DomainEvent(.blobDelete, repositoryID: repository.id, by: performer, details: ["digest": digest.description]))
        }
    }
}
