#if canImport(Glibc)
import Glibc
private let systemClose = Glibc.close
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemClose = Darwin.close
private let systemWrite = Darwin.write
#endif
import Foundation
import NIOConcurrencyHelpers
import Logging
import NIOCore
import WharfFaults
import WharfOCI

/// Stores blobs as files under `root/blobs/<algorithm>/<2 hex>/<hex>` and staged uploads under
/// `root/uploads/<id>`. A blob appears by an atomic `rename` after `fsync`, so readers never see a partial blob.
public struct FilesystemBlobStore: BlobStore {
    public let root: String
    private let readChunkSize = 1 << 20
    /// Where a full disk is logged, once per episode.
    let outages: OutageLog

    public init(root: String, logger: Logger = Logger(label: "wharf.storage")) throws {
        self.root = root
        outages = OutageLog(.storage, logger: logger)
        try Self.makeDirectory(root + "/blobs")
        try Self.makeDirectory(root + "/uploads")
    }

    /// The error for a failed system call: a full disk (or quota) is a `ServiceFault`, logged once per
    /// episode; anything else a `BlobStoreError.io`.
    func failure(_ operation: String, errno code: Int32) -> any Error {
        guard code == ENOSPC || code == EDQUOT else { return BlobStoreError.io(operation, errno: code) }
        let fault = ServiceFault(.full, .storage, reason: "\(operation): \(String(cString: strerror(code)))")
        outages.failed(fault)
        return fault
    }

    func blobPath(_ digest: Digest) -> String {
        "\(root)/blobs/\(digest.algorithm.rawValue)/\(digest.hex.prefix(2))/\(digest.hex)"
    }

    func uploadPath(_ id: String) -> String { "\(root)/uploads/\(id)" }

    public func size(of digest: Digest) async throws -> Int64? {
        Self.fileSize(blobPath(digest))
    }

    public func read(_ digest: Digest, range: ClosedRange<Int64>?) async throws -> BlobByteStream {
        try Self.stream(path: blobPath(digest), range: range, chunkSize: readChunkSize)
    }

    public func redirectURL(for digest: Digest) async throws -> String? { nil }

    public func createUpload(id: String) async throws {
        let fd = open(uploadPath(id), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("create upload", errno: errno) }
        close(fd)
    }

    public func uploadedSize(id: String) async throws -> Int64? {
        Self.fileSize(uploadPath(id))
    }

    public func appendToUpload(id: String, at offset: Int64) async throws -> any UploadAppender {
        let fd = try Self.openExclusively(uploadPath(id))
        guard ftruncate(fd, off_t(offset)) == 0, lseek(fd, off_t(offset), SEEK_SET) >= 0 else {
            let code = errno
            close(fd)
            throw BlobStoreError.io("seek upload", errno: code)
        }
        return FileAppender(fd: fd, startingAt: offset, store: self)
    }

    public func readUpload(id: String) async throws -> BlobByteStream {
        try Self.stream(path: uploadPath(id), range: nil, chunkSize: readChunkSize)
    }

    public func commitUpload(id: String, as digest: Digest, size: Int64) async throws {
        let source = uploadPath(id)
        let target = blobPath(digest)
        let fd = try Self.openExclusively(source)
        defer { close(fd) }
        // The blob's modification time becomes the commit's, from which the reconciler counts its grace period.
        // The rename replaces any stored copy (the same bytes) with this fresh one, so a copy the reconciler is
        // removing at this moment is never the one the commit relies on.
        guard ftruncate(fd, off_t(size)) == 0, futimens(fd, nil) == 0, fsync(fd) == 0 else { throw failure("fsync", errno: errno) }
        let directory = String(target[..<target.lastIndex(of: "/")!])
        do {
            try Self.makeDirectory(directory)
        } catch BlobStoreError.io(let operation, let code) {
            throw failure(operation, errno: code)
        }
        guard rename(source, target) == 0 else { throw failure("rename", errno: errno) }
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
        outages.succeeded()
    }

    public func deleteUpload(id: String) async throws {
        unlink(uploadPath(id))
    }

    public func delete(_ digest: Digest) async throws {
        unlink(blobPath(digest))
    }

    public func removeUnrecordedBlobs(writtenBefore date: Date,
                                      recorded: @Sendable ([Digest]) async throws -> Set<Digest>) async throws -> [Digest] {
        let cutoff = Int(date.timeIntervalSince1970)
        var candidates: [(digest: Digest, path: String)] = []
        for algorithm in Digest.Algorithm.allCases {
            let base = "\(root)/blobs/\(algorithm.rawValue)"
            for prefix in Self.entries(of: base) where !prefix.hasPrefix(".") {
                for name in Self.entries(of: "\(base)/\(prefix)") {
                    let path = "\(base)/\(prefix)/\(name)"
                    if name.hasPrefix(".") {
                        Self.restore(quarantined: path)
                    } else if let digest = Digest("\(algorithm.rawValue):\(name)"), let modified = Self.modificationTime(path), modified < cutoff {
                        candidates.append((digest, path))
                    }
                }
            }
        }
        var removed: [Digest] = []
        for start in stride(from: 0, to: candidates.count, by: 500) {
            let batch = candidates[start..<min(start + 500, candidates.count)]
            let known = try await recorded(batch.map(\.digest))
            for candidate in batch where !known.contains(candidate.digest) {
                if await removeIfUnrecorded(candidate.digest, at: candidate.path, cutoff: cutoff, recorded: recorded) {
                    removed.append(candidate.digest)
                }
            }
        }
        return removed
    }

    /// Removes one unrecorded blob without racing a commit of the same digest: the file is first moved
    /// aside; if it turns out fresh (a commit renamed a new copy in meanwhile) or recorded after all, it is
    /// put back.
    private func removeIfUnrecorded(_ digest: Digest, at path: String, cutoff: Int,
                                    recorded: @Sendable ([Digest]) async throws -> Set<Digest>) async -> Bool {
        let aside = Self.quarantinePath(path)
        guard rename(path, aside) == 0 else { return false }
        let fresh = (Self.modificationTime(aside) ?? cutoff) >= cutoff
        let stillUnrecorded = (try? await recorded([digest]))?.contains(digest) == false
        if fresh || !stillUnrecorded {
            Self.restore(quarantined: aside)
            return false
        }
        unlink(aside)
        return true
    }

    /// `<dir>/.<name>.orphan`: where a blob waits while the reconciler decides.
    static func quarantinePath(_ path: String) -> String {
        let slash = path.lastIndex(of: "/")!
        return "\(path[...slash]).\(path[path.index(after: slash)...]).orphan"
    }

    /// Puts a blob moved aside back in place, unless a commit has stored a copy there meanwhile.
    static func restore(quarantined aside: String) {
        guard aside.hasSuffix(".orphan"), let slash = aside.lastIndex(of: "/") else { return }
        let name = aside[aside.index(slash, offsetBy: 2)...].dropLast(".orphan".count)
        _ = link(aside, "\(aside[...slash])\(name)")
        unlink(aside)
    }

    /// The names in a directory (none when it cannot be read).
    static func entries(of directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// A regular file's modification time in seconds since the epoch.
    static func modificationTime(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return info.st_mtim.tv_sec
    }

    public func stagedUploads(lastWrittenBefore date: Date) async throws -> [String] {
        let cutoff = Int(date.timeIntervalSince1970)
        return Self.entries(of: root + "/uploads").filter { name in
            !name.hasPrefix(".") && (Self.modificationTime(uploadPath(name)) ?? cutoff) < cutoff
        }
    }

    /// Opens a staged upload for writing under an exclusive lock, so two requests never write it at once.
    static func openExclusively(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw errno == ENOENT ? BlobStoreError.notFound : BlobStoreError.io("open upload", errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            throw code == EWOULDBLOCK ? BlobStoreError.busy : BlobStoreError.io("lock upload", errno: code)
        }
        return fd
    }

    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    static func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw BlobStoreError.io("mkdir \(current)", errno: errno)
            }
        }
    }

    /// Streams a file (or an inclusive byte range of it) in chunks, reading each chunk only when asked.
    static func stream(path: String, range: ClosedRange<Int64>?, chunkSize: Int) throws -> BlobByteStream {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw errno == ENOENT ? BlobStoreError.notFound : BlobStoreError.io("open", errno: errno) }
        let reader = FileChunkReader(file: FileDescriptorBox(fd), offset: range?.lowerBound ?? 0,
                                     end: range.map { $0.upperBound + 1 } ?? Int64.max, chunkSize: chunkSize)
        return BlobByteStream(next: { try await reader.next() })
    }
}

/// Reads a file chunk by chunk with `pread`. The stream that owns it calls `next` one call at a time.
///
/// Chunks are read into a ring of a few buffers, and a buffer is reused only once the consumer has let go
/// of it (its storage is uniquely owned again). That paces the reader to the network: the response writer
/// hands buffers to the event loop before the socket has taken them, and on a busy machine a reader
/// allocating a fresh chunk each time ran tens of MiB ahead of the socket. A consumer that keeps its
/// buffers is not blocked: after `patience` the reader gives the slot a fresh buffer and goes on.
final class FileChunkReader: @unchecked Sendable {
    private let file: FileDescriptorBox
    private var offset: Int64
    private let end: Int64
    private let chunkSize: Int
    private var ring: [ByteBuffer?]
    private var slot = 0
    private let allocator = ByteBufferAllocator()

    static let ringSize = 4
    static let patience: Duration = .milliseconds(100)

    init(file: FileDescriptorBox, offset: Int64, end: Int64, chunkSize: Int) {
        self.file = file
        self.offset = offset
        self.end = end
        self.chunkSize = chunkSize
        self.ring = Array(repeating: nil, count: Self.ringSize)
    }

    /// The next chunk, or nil at the end of the range or file.
    func next() async throws -> ByteBuffer? {
        guard offset < end else { file.close(); return nil }
        let want = Int(min(Int64(chunkSize), end - offset))
        var pause: Duration = .microseconds(20)
        var waited: Duration = .zero
        while true {
            var buffer = ring[slot] ?? allocator.buffer(capacity: want)
            ring[slot] = nil
            let count = try buffer.modifyIfUniquelyOwned { buffer in try fill(&buffer, count: want) }
            ring[slot] = buffer
            if let count {
                if count == 0 { file.close(); return nil }
                offset += Int64(count)
                slot = (slot + 1) % Self.ringSize
                return buffer
            }
            if waited >= Self.patience {
                ring[slot] = nil
                continue
            }
            try await Task.sleep(for: pause)
            waited += pause
            pause = min(pause * 2, .milliseconds(2))
        }
    }

    /// Reads up to `count` bytes at the current offset into `buffer`, replacing its contents.
    private func fill(_ buffer: inout ByteBuffer, count want: Int) throws -> Int {
        buffer.clear(minimumCapacity: want)
        let position = offset
        var failure: Int32 = 0
        let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { pointer in
            let read = pread(file.fd, pointer.baseAddress, want, off_t(position))
            if read < 0 { failure = errno }
            return max(read, 0)
        }
        if failure != 0 { file.close(); throw BlobStoreError.io("read", errno: failure) }
        return count
    }
}

/// Owns a file descriptor and closes it exactly once.
final class FileDescriptorBox: @unchecked Sendable {
    let fd: Int32
    private let closed = NIOLockedValueBox(false)

    init(_ fd: Int32) { self.fd = fd }

    func close() {
        let shouldClose = closed.withLockedValue { closed in
            defer { closed = true }
            return !closed
        }
        if shouldClose { _ = systemClose(fd) }
    }

    deinit { close() }
}

/// Appends to an open upload file.
final class FileAppender: UploadAppender {
    private let file: FileDescriptorBox
    /// Where the append started: a cancelled append cuts the file back to here.
    private let start: Int64
    private let store: FilesystemBlobStore

    init(fd: Int32, startingAt start: Int64, store: FilesystemBlobStore) {
        file = FileDescriptorBox(fd)
        self.start = start
        self.store = store
    }

    func write(_ buffer: ByteBuffer) async throws {
        try buffer.withUnsafeReadableBytes { pointer in
            var written = 0
            while written < pointer.count {
                let count = systemWrite(file.fd, pointer.baseAddress! + written, pointer.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw store.failure("write", errno: errno)
                }
                written += count
            }
        }
    }

    func close() async throws {
        file.close()
        store.outages.succeeded()
    }

    func cancel() async {
        _ = ftruncate(file.fd, off_t(start))
        file.close()
    }
}
