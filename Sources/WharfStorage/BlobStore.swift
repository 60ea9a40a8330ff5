import Foundation
import NIOCore
import WharfOCI

/// Content-addressable blob storage. Drivers: the local filesystem; object storage (S3) later.
///
/// Uploads are staged under an upload id and become visible under their digest only through
/// `commitUpload`, which must be atomic and durable.
public protocol BlobStore: Sendable {
    /// Size of a stored blob, or nil when it is not stored.
    func size(of digest: Digest) async throws -> Int64?

    /// The bytes of a blob, or of `range` (inclusive) of it, as a stream of buffers.
    func read(_ digest: Digest, range: ClosedRange<Int64>?) async throws -> BlobByteStream

    /// A URL a client may be redirected to for a direct download, or nil when the driver serves bytes itself.
    func redirectURL(for digest: Digest) async throws -> String?

    /// Starts a staged upload.
    func createUpload(id: String) async throws

    /// Bytes staged so far for `id`, or nil when the upload does not exist.
    func uploadedSize(id: String) async throws -> Int64?

    /// Opens the staged upload for appending at `offset` (the current staged size; later bytes are discarded).
    /// The upload is held exclusively until the appender is closed: a concurrent append or commit fails
    /// with `BlobStoreError.busy`.
    func appendToUpload(id: String, at offset: Int64) async throws -> any UploadAppender

    /// The staged bytes of an upload, to recompute its hash after a restart.
    func readUpload(id: String) async throws -> BlobByteStream

    /// Makes the first `size` staged bytes (the ones that were hashed) durable and visible under `digest`;
    /// keeps the existing copy if there is one. Fails with `BlobStoreError.busy` while an append is open.
    func commitUpload(id: String, as digest: Digest, size: Int64) async throws

    /// Discards a staged upload.
    func deleteUpload(id: String) async throws

    /// Ids of staged uploads last written before `date` (the janitor removes those no session owns).
    func stagedUploads(lastWrittenBefore date: Date) async throws -> [String]

    /// Removes a blob (garbage collection).
    func delete(_ digest: Digest) async throws

    /// Removes stored blobs last written before `date` that the metadata does not record (left by a crash
    /// between storing a blob and recording it); `recorded` says which of some digests are recorded, and is
    /// asked again just before each removal. A blob committed meanwhile is never removed. Returns the
    /// digests removed.
    func removeUnrecordedBlobs(writtenBefore date: Date, recorded: @Sendable ([Digest]) async throws -> Set<Digest>) async throws -> [Digest]
}

/// Appends bytes to a staged upload.
public protocol UploadAppender: Sendable {
    func write(_ buffer: ByteBuffer) async throws
    /// Flushes and closes; after this the appended bytes count in `uploadedSize`.
    func close() async throws
    /// Discards what this appender wrote (the staged upload is cut back to where the append started, so a
    /// failed chunk holds no disk space) and closes.
    func cancel() async
}

/// Blob bytes, pulled one buffer at a time straight from the driver (no intermediate buffering, so a
/// slow client slows the reads down instead of letting them pile up).
public struct BlobByteStream: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    private let next: @Sendable () async throws -> ByteBuffer?

    /// A stream whose buffers come from `next`, until it returns nil.
    public init(next: @escaping @Sendable () async throws -> ByteBuffer?) {
        self.next = next
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let next: @Sendable () async throws -> ByteBuffer?
        public mutating func next() async throws -> ByteBuffer? { try await next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(next: next) }
}

/// Storage failures. A full disk is not one of these: it is a `ServiceFault` (`.full`, `.storage`), which
/// every API answers with 507.
public enum BlobStoreError: Error, Sendable {
    case notFound
    /// Another request is writing the upload.
    case busy
    case io(String, errno: Int32)
}
