import Foundation
import NIOCore
import WharfMetadata
import WharfOCI
import WharfStorage

/// Blob uploads: sessions, streamed chunks hashed as they arrive, verification and commit, which links
/// the blob into the repository (`blob_upload`).
///
/// Every append writes its bytes as a part of their own in storage; the session row (in the metadata
/// store) counts the accepted bytes, and the append's compare-and-set on that count records its part in
/// the same transaction. A chunk that fails half-way, or loses the race to a concurrent append, leaves
/// its part uncounted and removed, so it never changes the upload; no lock is held in storage.
public struct UploadService: Sendable {
    let store: MetadataStore
    let blobs: BlobStore
    let hashes = UploadHashCache()
    /// `MAXIMUM_LAYER_SIZE`: the largest blob accepted.
    let maximumBlobSize: Int64
    /// `PUSH_TEMP_TAG_EXPIRATION_SEC`: how long an uploaded blob stays linked before a manifest refers to it.
    let temporaryLinkSeconds: Int64

    public init(store: MetadataStore, blobs: BlobStore, maximumBlobSize: Int64, temporaryLinkSeconds: Int64) {
        self.store = store
        self.blobs = blobs
        self.maximumBlobSize = maximumBlobSize
        self.temporaryLinkSeconds = temporaryLinkSeconds
    }

    /// Opens a new upload session in `repository`.
    public func start(in repository: RepositoryRecord) async throws -> String {
        let id = UUID().uuidString.lowercased()
        try await store.transaction { tx in try await tx.createUpload(uuid: id, repositoryID: repository.id) }
        return id
    }

    /// The session `id` of `repository`.
    public func session(_ id: String, in repository: RepositoryRecord) async throws -> UploadRecord {
        guard UUID(uuidString: id) != nil, let upload = try await store.upload(uuid: id, repositoryID: repository.id) else {
            throw ContentError.uploadUnknown(upload: id)
        }
        return upload
    }

    /// Appends `body` to the upload. With `range`, the chunk must start where the upload ends (else 416)
    /// and have exactly the announced length. Returns the new size. A chunk that fails half-way leaves the
    /// upload as it was: its part is discarded at once.
    public func append<Body: AsyncSequence & Sendable>(_ body: Body, to upload: UploadRecord, range: ChunkRange?) async throws -> Int64
    where Body.Element == ByteBuffer {
        let offset = upload.byteCount
        if upload.committedDigest != nil {
            throw ContentError.uploadCompleting(upload: upload.uuid)
        }
        if let range {
            guard range.start == offset else { throw ContentError.chunkOutOfOrder(upload: upload.uuid, size: offset) }
            guard range.length <= maximumBlobSize - offset else { throw tooLarge }
        }
        var hasher = try await hasher(for: upload)
        let (part, appender) = try await blobs.partWriter(upload: upload.uuid, at: offset)
        var written: Int64 = 0
        do {
            for try await buffer in body {
                written += Int64(buffer.readableBytes)
                if written > maximumBlobSize - offset { throw tooLarge }
                if let range, written > range.length { throw ContentError.chunkLengthMismatch("chunk is longer than its Content-Range") }
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                try await appender.write(buffer)
            }
            if let range, written != range.length {
                throw ContentError.chunkLengthMismatch("chunk length \(written) does not match its Content-Range")
            }
            if written == 0 {
                await appender.cancel()
            } else {
                try await appender.commit()
            }
        } catch {
            await appender.cancel()
            hashes.remove(upload.uuid)
            throw error
        }
        let size = offset + written
        if written > 0 {
            let advanced = try await store.transaction { tx in try await tx.advanceUpload(uuid: upload.uuid, from: offset, to: size, part: part) }
            guard advanced else {
                try? await blobs.deletePart(part)
                hashes.remove(upload.uuid)
                throw ContentError.uploadChanged(upload: upload.uuid)
            }
        }
        hashes.put(upload.uuid, offset: size, hasher: hasher)
        return size
    }

    /// Appends the last chunk (if any, at `range` when given), checks the digest and makes the blob visible in
    /// the repository. A digest mismatch cancels the upload: nothing of it is kept.
    ///
    /// Completing is idempotent: the verified digest is recorded before the bytes are moved into place, so
    /// when a completion was cut off after the move (a crash, a lost connection), the client's retry with
    /// the same digest finishes it. `performer` is who uploaded, for the `blob_upload` event.
    public func complete<Body: AsyncSequence & Sendable>(_ upload: UploadRecord, digest: Digest, lastChunk: Body, range: ChunkRange?,
                                                            by performer: Performer?) async throws
    where Body.Element == ByteBuffer {
        if let committed = upload.committedDigest {
            guard committed == digest.description else {
                try await cancel(upload)
                throw ContentError.digestMismatch(provided: digest.description, computed: committed)
            }
            if try await blobs.size(of: digest) == upload.byteCount {
                try await finish(upload, digest: digest, by: performer)
                return
            }
            // Verified but not moved yet: the bytes are still staged, and are checked and moved again below.
        }
        let size = upload.committedDigest == nil ? try await append(lastChunk, to: upload, range: range) : upload.byteCount
        let current = upload.resized(to: size)
        let computed: Digest
        if digest.algorithm == .sha256 {
            computed = try await hasher(for: current).finalize()
        } else {
            computed = try await rehash(current, algorithm: digest.algorithm).finalize()
        }
        hashes.remove(upload.uuid)
        guard computed == digest else {
            try await cancel(upload)
            throw ContentError.digestMismatch(provided: digest.description, computed: computed.description)
        }
        guard try await store.transaction({ tx in try await tx.markUploadCommitted(uuid: upload.uuid, byteCount: size, digest: digest.description) }) else {
            throw ContentError.uploadChanged(upload: upload.uuid)
        }
        do {
            try await blobs.commitUpload(parts: try await store.uploadParts(uuid: upload.uuid), as: digest, size: size)
        } catch StorageError.notFound {
            // A concurrent completion of the same upload may have moved the bytes first.
            guard try await blobs.size(of: digest) == size else { throw try await lost(current) }
        }
        try await finish(current, digest: digest, by: performer)
    }

    /// Links the committed blob into the upload's repository and ends the session, in one transaction.
    private func finish(_ upload: UploadRecord, digest: Digest, by performer: Performer?) async throws {
        try await store.transaction { tx in
            try await tx.finishUpload(upload, digest: digest.description, expiresMs: MetadataStore.nowMs() + temporaryLinkSeconds * 1000)
            try await tx.emit(DomainEvent(.blobUpload, repositoryID: upload.repositoryId, by: performer,
                                          details: ["digest": digest.description, "size": String(upload.byteCount)]))
        }
    }

    /// The answer for a session whose staged bytes are gone or short (removed by the janitor while a request
    /// held the session, or lost with a machine crash): the session ends, and the client starts over.
    private func lost(_ upload: UploadRecord) async throws -> ContentError {
        try await cancel(upload)
        return ContentError.uploadUnknown(upload: upload.uuid)
    }

    private var tooLarge: ContentError { .blobTooLarge(limit: maximumBlobSize) }

    /// Removes the upload sessions last written before `cutoffMs` (abandoned by their clients), with their
    /// staged bytes; how many.
    public func removeAbandoned(before cutoffMs: Int64) async throws -> Int {
        var removed = 0
        while true {
            let stale = try await store.staleUploads(beforeMs: cutoffMs, limit: 100)
            if stale.isEmpty { return removed }
            for id in stale {
                hashes.remove(id)
                try await blobs.deleteUpload(id: id)
                try await store.transaction { tx in try await tx.deleteUpload(uuid: id) }
                removed += 1
            }
        }
    }

    /// Discards an upload and its staged bytes.
    public func cancel(_ upload: UploadRecord) async throws {
        hashes.remove(upload.uuid)
        try await blobs.deleteUpload(id: upload.uuid)
        try await store.transaction { tx in try await tx.deleteUpload(uuid: upload.uuid) }
    }

    /// The running hasher of an upload: from this node's cache, or recomputed from the staged bytes.
    private func hasher(for upload: UploadRecord) async throws -> DigestHasher {
        if let cached = hashes.take(upload.uuid, offset: upload.byteCount) { return cached }
        return try await rehash(upload, algorithm: .sha256)
    }

    private func rehash(_ upload: UploadRecord, algorithm: Digest.Algorithm) async throws -> DigestHasher {
        var hasher = DigestHasher(algorithm: algorithm)
        var remaining = upload.byteCount
        guard remaining > 0 else { return hasher }
        do {
            for try await buffer in blobs.readParts(try await store.uploadParts(uuid: upload.uuid)) {
                let take = Int(min(Int64(buffer.readableBytes), remaining))
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0.prefix(take))) }
                remaining -= Int64(take)
                if remaining == 0 { break }
            }
        } catch StorageError.notFound {
            throw try await lost(upload)
        }
        guard remaining == 0 else { throw try await lost(upload) }
        return hasher
    }

    /// Parses `Content-Range` as `<start>-<end>` (inclusive), tolerating a `bytes ` prefix and a `/total` suffix;
    /// nil when it is not such a range (or names more bytes than a number can count).
    public static func parseContentRange(_ value: String) -> ChunkRange? {
        var text = Substring(value.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("bytes ") || text.hasPrefix("bytes=") { text = text.dropFirst(6) }
        if let slash = text.firstIndex(of: "/") { text = text[..<slash] }
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let start = Int64(bounds[0]), let end = Int64(bounds[1]), start >= 0, end >= start else { return nil }
        let (length, overflow) = (end - start).addingReportingOverflow(1)
        return overflow ? nil : ChunkRange(start: start, length: length)
    }
}

/// Where a chunk goes in an upload: its first byte's offset and its length, from `Content-Range`.
public struct ChunkRange: Equatable, Sendable {
    public let start: Int64
    public let length: Int64
}
