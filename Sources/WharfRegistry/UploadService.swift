import Foundation
import NIOCore
import WharfMetadata
import WharfOCI
import WharfStorage

/// Blob uploads: sessions, streamed chunks hashed as they arrive, verification and commit.
///
/// The session row (in the metadata store) records how many bytes are accepted; bytes written by a
/// chunk that failed half-way lie beyond that count and are cut off by the next append, so a failed or
/// interrupted chunk never changes the upload.
struct UploadService: Sendable {
    let store: MetadataStore
    let blobs: any BlobStore
    let hashes: UploadHashCache
    let configuration: RegistryConfiguration

    /// Opens a new upload session in `repository`.
    func start(in repository: RepositoryRecord) async throws -> String {
        let id = UUID().uuidString.lowercased()
        try await blobs.createUpload(id: id)
        try await store.createUpload(uuid: id, repositoryID: repository.id)
        return id
    }

    /// The session `id` of `repository`, or `BLOB_UPLOAD_UNKNOWN`.
    func session(_ id: String, in repository: RepositoryRecord) async throws -> UploadRecord {
        guard UUID(uuidString: id) != nil, let upload = try await store.upload(uuid: id, repositoryID: repository.id) else {
            throw RegistryError.uploadUnknown(id)
        }
        return upload
    }

    /// Appends `body` to the upload. With `range`, the chunk must start where the upload ends (else 416)
    /// and have exactly the announced length. Returns the new size. A chunk that fails half-way leaves the
    /// upload as it was: its bytes are cut off the staged file at once.
    func append<Body: AsyncSequence & Sendable>(_ body: Body, to upload: UploadRecord, range: ChunkRange?) async throws -> Int64
    where Body.Element == ByteBuffer {
        let offset = upload.byteCount
        if upload.committedDigest != nil {
            throw RegistryError(.blobUploadInvalid, status: 400, "the upload is being completed; it takes no more data",
                                detail: ["upload": upload.uuid])
        }
        if let range {
            guard range.start == offset else {
                throw RegistryError(.rangeInvalid, status: 416, "chunk does not start at the end of the upload",
                                    headers: [("Range", Self.rangeHeader(size: offset)), ("Docker-Upload-UUID", upload.uuid)])
            }
            guard range.length <= configuration.maximumBlobSize - offset else { throw tooLarge }
        }
        var hasher = try await hasher(for: upload)
        let appender: any UploadAppender
        do {
            appender = try await blobs.appendToUpload(id: upload.uuid, at: offset)
        } catch BlobStoreError.busy {
            throw Self.busy(upload)
        } catch BlobStoreError.notFound {
            throw try await lost(upload)
        }
        var written: Int64 = 0
        do {
            for try await buffer in body {
                written += Int64(buffer.readableBytes)
                if written > configuration.maximumBlobSize - offset { throw tooLarge }
                if let range, written > range.length {
                    throw RegistryError(.blobUploadInvalid, status: 400, "chunk is longer than its Content-Range")
                }
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                try await appender.write(buffer)
            }
            if let range, written != range.length {
                throw RegistryError(.blobUploadInvalid, status: 400, "chunk length \(written) does not match its Content-Range")
            }
            try await appender.close()
        } catch {
            await appender.cancel()
            hashes.remove(upload.uuid)
            throw error
        }
        let size = offset + written
        if written > 0 {
            guard try await store.advanceUpload(uuid: upload.uuid, from: offset, to: size) else {
                hashes.remove(upload.uuid)
                throw RegistryError(.rangeInvalid, status: 416, "the upload was changed by a concurrent request",
                                    headers: [("Docker-Upload-UUID", upload.uuid)])
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
    /// the same digest finishes it.
    func complete<Body: AsyncSequence & Sendable>(_ upload: UploadRecord, digest: Digest, lastChunk: Body, range: ChunkRange?) async throws
    where Body.Element == ByteBuffer {
        if let committed = upload.committedDigest {
            guard committed == digest.description else {
                try await cancel(upload)
                throw RegistryError.digestInvalid("provided digest did not match uploaded content (computed \(committed))", digest: digest.description)
            }
            if try await blobs.size(of: digest) == upload.byteCount {
                try await finish(upload, digest: digest)
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
            throw RegistryError.digestInvalid("provided digest did not match uploaded content (computed \(computed))", digest: digest.description)
        }
        guard try await store.markUploadCommitted(uuid: upload.uuid, byteCount: size, digest: digest.description) else {
            throw RegistryError(.rangeInvalid, status: 416, "the upload was changed by a concurrent request",
                                headers: [("Docker-Upload-UUID", upload.uuid)])
        }
        do {
            try await blobs.commitUpload(id: upload.uuid, as: digest, size: size)
        } catch BlobStoreError.busy {
            throw Self.busy(upload)
        } catch BlobStoreError.notFound {
            // A concurrent completion of the same upload may have moved the bytes first.
            guard try await blobs.size(of: digest) == size else { throw try await lost(current) }
        }
        try await finish(current, digest: digest)
    }

    /// Links the committed blob into the upload's repository and ends the session, in one transaction.
    private func finish(_ upload: UploadRecord, digest: Digest) async throws {
        try await store.finishUpload(upload, digest: digest.description,
                                     expiresMs: MetadataStore.nowMs() + configuration.temporaryLinkSeconds * 1000)
    }

    /// The answer for a session whose staged bytes are gone or short (removed by the janitor while a request
    /// held the session, or lost with a machine crash): the session ends, and the client starts over.
    private func lost(_ upload: UploadRecord) async throws -> RegistryError {
        try await cancel(upload)
        return RegistryError.uploadUnknown(upload.uuid)
    }

    private var tooLarge: RegistryError {
        RegistryError(.sizeInvalid, status: 413, "blob exceeds the maximum size of \(configuration.maximumBlobSize) bytes")
    }

    /// Discards an upload and its staged bytes.
    func cancel(_ upload: UploadRecord) async throws {
        hashes.remove(upload.uuid)
        try await blobs.deleteUpload(id: upload.uuid)
        try await store.deleteUpload(uuid: upload.uuid)
    }

    /// Links `digest` from `source` into `target` when it is linked in the source; false otherwise.
    func mount(_ digest: Digest, from source: RepositoryRecord, into target: RepositoryRecord) async throws -> Bool {
        guard let blob = try await store.linkedBlob(repositoryID: source.id, digest: digest.description),
              try await blobs.size(of: digest) != nil else { return false }
        try await store.linkUploadedBlob(repositoryID: target.id, digest: blob.digest, size: blob.size,
                                         expiresMs: MetadataStore.nowMs() + configuration.temporaryLinkSeconds * 1000)
        return true
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
        let staged: BlobByteStream
        do {
            staged = try await blobs.readUpload(id: upload.uuid)
        } catch BlobStoreError.notFound {
            throw try await lost(upload)
        }
        for try await buffer in staged {
            let take = Int(min(Int64(buffer.readableBytes), remaining))
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0.prefix(take))) }
            remaining -= Int64(take)
            if remaining == 0 { break }
        }
        guard remaining == 0 else { throw try await lost(upload) }
        return hasher
    }

    /// 416 for a request that finds the upload being written by another request.
    static func busy(_ upload: UploadRecord) -> RegistryError {
        RegistryError(.rangeInvalid, status: 416, "the upload is being written by another request",
                      headers: [("Range", rangeHeader(size: upload.byteCount)), ("Docker-Upload-UUID", upload.uuid)])
    }

    /// The `Range` header value for an upload of `size` bytes (`0-<last byte>`, `0-0` when empty).
    static func rangeHeader(size: Int64) -> String { "0-\(max(size - 1, 0))" }

    /// Parses `Content-Range` as `<start>-<end>` (inclusive), tolerating a `bytes ` prefix and a `/total` suffix;
    /// nil when it is not such a range (or names more bytes than a number can count).
    static func parseContentRange(_ value: String) -> ChunkRange? {
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
struct ChunkRange: Equatable {
    let start: Int64
    let length: Int64
}
