import Foundation
import NIOCore

/// The contract every storage driver keeps: a flat namespace of objects named by `/`-separated paths,
/// written whole and made visible atomically, read whole or by range. The registry's `BlobStore` lays
/// blobs and upload parts out on any driver; the local filesystem and memory drivers exist now, object
/// storage (S3) must pass the same shared suite (`StorageDriverContract` in WharfTestSupport).
///
/// No method blocks the calling thread: a driver that makes blocking system calls runs them on a thread
/// pool.
public protocol StorageDriver: Sendable {
    /// Starts writing the object `path`. Nothing is visible at `path` until the writer commits; a
    /// writer that is cancelled, or never committed, leaves nothing behind.
    func writer(to path: String) async throws -> any StorageWriter

    /// The object's bytes, or those of `range` (inclusive), as a stream. `StorageError.notFound` when
    /// there is no such object.
    func read(_ path: String, range: ClosedRange<Int64>?) async throws -> BlobByteStream

    /// The object's size and last modification, or nil when there is no such object.
    func stat(_ path: String) async throws -> StorageStat?

    /// Removes the object (removing a missing one is harmless).
    func delete(_ path: String) async throws

    /// The objects whose paths start with `prefix` (a directory-like prefix ends with `/`), in no
    /// particular order.
    func list(prefix: String) async throws -> [StorageEntry]

    /// Renames the object `source` to `target` atomically, replacing what is there; the object's
    /// modification time becomes the time of the move. `StorageError.notFound` when `source` is missing.
    func move(_ source: String, to target: String) async throws

    /// A URL a client may fetch the object from directly, or nil when the driver serves it itself.
    func redirectURL(for path: String) async throws -> String?

    /// Writes the objects `sources`, one after the other, as the object `target`, made visible as a
    /// writer's commit makes it; the sources stay. `StorageError.notFound` when a source is missing. A
    /// driver that can join objects without passing their bytes through the process does (the default
    /// streams them through a writer).
    func compose(_ sources: [String], into target: String) async throws

    /// The whole object `path`, or nil when it is missing or larger than `limit` bytes (for small objects
    /// read whole, such as image configs; a driver may fetch them in one call).
    func contents(of path: String, upTo limit: Int64) async throws -> Data?
}

/// Writes one object; `commit` makes it visible (durably, atomically), `cancel` discards it.
public protocol StorageWriter: Sendable {
    func write(_ buffer: ByteBuffer) async throws
    /// Makes the written bytes durable and visible at the writer's path, replacing any object there.
    func commit() async throws
    /// Discards what was written; harmless after `commit`.
    func cancel() async
}

/// What `stat` knows of an object.
public struct StorageStat: Sendable, Equatable {
    public let size: Int64
    public let modified: Date

    public init(size: Int64, modified: Date) {
        self.size = size
        self.modified = modified
    }
}

/// An object found by `list`.
public struct StorageEntry: Sendable, Equatable {
    public let path: String
    public let stat: StorageStat

    public init(path: String, stat: StorageStat) {
        self.path = path
        self.stat = stat
    }
}

/// Driver failures. A full disk is not one of these: it is a `ServiceFault` (`.full`, `.storage`), which
/// every API answers with 507.
public enum StorageError: Error, Sendable, Equatable {
    case notFound
    /// A path a driver cannot hold (empty, absolute, with `.` or `..` components).
    case invalidPath(String)
    case io(String, errno: Int32)
}

extension StorageDriver {
    public func contents(of path: String, upTo limit: Int64) async throws -> Data? {
        guard Self.isValid(path: path) else { throw StorageError.invalidPath(path) }
        guard let size = try await stat(path)?.size, size <= limit else { return nil }
        var data = Data(capacity: Int(size))
        do {
            for try await buffer in try await read(path, range: nil) {
                data.append(contentsOf: buffer.readableBytesView)
                guard data.count <= limit else { return nil }
            }
        } catch StorageError.notFound {
            return nil
        }
        return data
    }

    public func compose(_ sources: [String], into target: String) async throws {
        for source in sources where try await stat(source) == nil { throw StorageError.notFound }
        let writer = try await writer(to: target)
        do {
            for source in sources {
                for try await buffer in try await read(source, range: nil) { try await writer.write(buffer) }
            }
            try await writer.commit()
        } catch {
            await writer.cancel()
            throw error
        }
    }

    /// Whether `path` is a relative path of non-empty components other than `.` and `..`.
    public static func isValid(path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.hasSuffix("/") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }
}
