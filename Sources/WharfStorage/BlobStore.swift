import Foundation
import NIOCore
import WharfOCI

/// The registry's content-addressable blob storage, laid out on any `StorageDriver`:
///
///     blobs/<algorithm>/<2 hex>/<hex>     a blob, visible once committed
///     uploads/<id>/<offset>-<part>        a part of an upload; which parts make the upload, the
///                                         metadata store records (it accepts a part atomically)
///     quarantine/<algorithm>/<hex>        a blob the reconciler moved aside while it decides
///
/// Upload exclusivity lives in the database, not here: every append writes a part of its own, and only
/// the append whose compare-and-set on the upload's size succeeds has its part counted.
public struct BlobStore: Sendable {
    public let driver: any StorageDriver

    public init(driver: any StorageDriver) {
        self.driver = driver
    }

    static func blobPath(_ digest: Digest) -> String {
        "blobs/\(digest.algorithm.rawValue)/\(digest.hex.prefix(2))/\(digest.hex)"
    }

    static func quarantinePath(_ digest: Digest) -> String {
        "quarantine/\(digest.algorithm.rawValue)/\(digest.hex)"
    }

    /// Size of a stored blob, or nil when it is not stored.
    public func size(of digest: Digest) async throws -> Int64? {
        try await driver.stat(Self.blobPath(digest))?.size
    }

    /// The bytes of a blob, or of `range` (inclusive) of it, as a stream of buffers.
    public func read(_ digest: Digest, range: ClosedRange<Int64>?) async throws -> BlobByteStream {
        try await driver.read(Self.blobPath(digest), range: range)
    }

    /// A URL a client may be redirected to for a direct download, or nil when the driver serves bytes itself.
    public func redirectURL(for digest: Digest) async throws -> String? {
        try await driver.redirectURL(for: Self.blobPath(digest))
    }

    /// Removes a blob (garbage collection).
    public func delete(_ digest: Digest) async throws {
        try await driver.delete(Self.blobPath(digest))
    }

    // MARK: Uploads

    /// A writer for a new part of upload `id` starting at byte `offset`, and the part's path.
    public func partWriter(upload id: String, at offset: Int64) async throws -> (path: String, writer: any StorageWriter) {
        let path = "uploads/\(id)/\(offset)-\(UUID().uuidString.lowercased())"
        return (path, try await driver.writer(to: path))
    }

    /// The bytes of `parts`, one after the other.
    public func readParts(_ parts: [String]) -> BlobByteStream {
        let state = PartCursor(parts: parts)
        let driver = driver
        return BlobByteStream(next: {
            while true {
                if let buffer = try await state.current?.next() { return buffer }
                guard let path = state.advance() else { return nil }
                state.current = try await driver.read(path, range: nil).makeAsyncIterator()
            }
        })
    }

    /// Removes one part (a part whose append lost the race for the upload).
    public func deletePart(_ path: String) async throws {
        try await driver.delete(path)
    }

    /// Makes the parts of an upload (`size` bytes in all) visible as the blob `digest`: a single part is
    /// moved into place, several are joined into a new object; either way atomically. The parts are gone
    /// afterwards. `StorageError.notFound` when a part is missing.
    public func commitUpload(parts: [String], as digest: Digest, size: Int64) async throws {
        let target = Self.blobPath(digest)
        if parts.count == 1, try await driver.stat(parts[0])?.size == size {
            try await driver.move(parts[0], to: target)
            return
        }
        var total: Int64 = 0
        for part in parts {
            guard let stat = try await driver.stat(part) else { throw StorageError.notFound }
            total += stat.size
        }
        guard total == size else { throw StorageError.notFound }
        try await driver.compose(parts, into: target)
        for part in parts { try? await driver.delete(part) }
    }

    /// Discards every part of upload `id` (and its staged file in the layout before parts).
    public func deleteUpload(id: String) async throws {
        for entry in try await driver.list(prefix: "uploads/\(id)/") {
            try await driver.delete(entry.path)
        }
        try await driver.delete("uploads/\(id)")
    }

    /// Ids of uploads whose parts were all written before `date` (the janitor removes those no session owns).
    public func stagedUploads(lastWrittenBefore date: Date) async throws -> [String] {
        var newest: [String: Date] = [:]
        for entry in try await driver.list(prefix: "uploads/") {
            let components = entry.path.split(separator: "/")
            guard components.count == 3 || components.count == 2 else { continue }
            let id = String(components[1])
            newest[id] = max(newest[id] ?? .distantPast, entry.stat.modified)
        }
        return newest.filter { $0.value < date }.map(\.key).sorted()
    }

    // MARK: Reconciliation

    /// Removes stored blobs last written before `date` that the metadata does not record (left by a crash
    /// between storing a blob and recording it). `recorded` says which of some digests are recorded or
    /// being committed (an upload whose digest is verified records it before its bytes move into place);
    /// it is asked again once a blob has been moved aside, and a blob recorded meanwhile is put back.
    /// Returns the digests removed.
    public func removeUnrecordedBlobs(writtenBefore date: Date, recorded: @Sendable ([Digest]) async throws -> Set<Digest>) async throws -> [Digest] {
        try await restoreQuarantined()
        var candidates: [Digest] = []
        for entry in try await driver.list(prefix: "blobs/") where entry.stat.modified < date {
            let components = entry.path.split(separator: "/")
            guard components.count == 4, let digest = Digest("\(components[1]):\(components[3])") else { continue }
            candidates.append(digest)
        }
        var removed: [Digest] = []
        for start in stride(from: 0, to: candidates.count, by: 500) {
            let batch = Array(candidates[start..<min(start + 500, candidates.count)])
            let known = try await recorded(batch)
            for digest in batch where !known.contains(digest) {
                let aside = Self.quarantinePath(digest)
                do {
                    try await driver.move(Self.blobPath(digest), to: aside)
                } catch StorageError.notFound {
                    continue
                }
                if try await recorded([digest]).contains(digest) {
                    try await driver.move(aside, to: Self.blobPath(digest))
                } else {
                    try await driver.delete(aside)
                    removed.append(digest)
                }
            }
        }
        return removed
    }

    /// Puts back the blobs a reconciler moved aside and did not get to decide on (it was stopped).
    func restoreQuarantined() async throws {
        for entry in try await driver.list(prefix: "quarantine/") {
            let components = entry.path.split(separator: "/")
            guard components.count == 3, let digest = Digest("\(components[1]):\(components[2])") else { continue }
            try await driver.move(entry.path, to: Self.blobPath(digest))
        }
    }
}

/// Which part `BlobStore.readParts` is reading.
private final class PartCursor: @unchecked Sendable {
    private var remaining: ArraySlice<String>
    var current: BlobByteStream.AsyncIterator?

    init(parts: [String]) { remaining = parts[...] }

    func advance() -> String? {
        current = nil
        return remaining.popFirst()
    }
}
