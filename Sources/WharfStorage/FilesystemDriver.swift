#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import NIOCore
import NIOPosix
import WharfFaults

/// Keeps objects as files under `root` (`root/<path>`). A writer fills a file in `root/.staging` and
/// commits it by `fsync` and an atomic `rename`, so readers never see a partial object. Every system call
/// runs on NIO's blocking-I/O thread pool, never on Swift's cooperative threads.
public struct FilesystemDriver: StorageDriver {
    public let root: String
    let threads: NIOThreadPool
    /// Where a full disk is logged, once per episode.
    let outages: OutageLog
    /// Bytes a writer gathers before handing them to a thread in one call, and bytes read per chunk.
    static let ioChunkSize = 1 << 20

    public init(root: String, threads: NIOThreadPool = .singleton, logger: Logger = Logger(label: "wharf.storage")) throws {
        self.root = root
        self.threads = threads
        outages = OutageLog(.storage, logger: logger)
        try Self.makeDirectory(root + "/.staging")
        Self.removeStaleStaging(in: root + "/.staging", olderThan: Date(timeIntervalSinceNow: -Self.stagingLifetime))
    }

    /// How long a staging file may go unwritten before it counts as left by a process that died.
    static let stagingLifetime: TimeInterval = 86_400

    /// Removes staging files last written before `cutoff` (writes whose process died before committing).
    static func removeStaleStaging(in directory: String, olderThan cutoff: Date) {
        walk(root: directory, relative: "") { name, stat in
            if stat.modified < cutoff { unlink("\(directory)/\(name)") }
        }
    }

    func fullPath(_ path: String) throws -> String {
        guard Self.isValid(path: path) else { throw StorageError.invalidPath(path) }
        return "\(root)/\(path)"
    }

    /// Runs blocking file system work on the thread pool.
    func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await threads.runIfActive(work)
    }

    /// The error for a failed system call: a full disk (or quota) is a `ServiceFault`, logged once per
    /// episode; a missing file `notFound`; anything else `io`.
    func failure(_ operation: String, errno code: Int32) -> any Error {
        if code == ENOENT { return StorageError.notFound }
        guard code == ENOSPC || code == EDQUOT else { return StorageError.io(operation, errno: code) }
        let fault = ServiceFault(.full, .storage, reason: "\(operation): \(String(cString: strerror(code)))")
        outages.failed(fault)
        return fault
    }

    public func writer(to path: String) async throws -> any StorageWriter {
        let target = try fullPath(path)
        let staging = "\(root)/.staging/\(UUID().uuidString.lowercased())"
        let fd = try await blocking { () throws -> Int32 in
            let fd = open(staging, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw failure("create", errno: errno) }
            return fd
        }
        return FileWriter(fd: fd, staging: staging, target: target, driver: self)
    }

    public func read(_ path: String, range: ClosedRange<Int64>?) async throws -> BlobByteStream {
        let file = try fullPath(path)
        let fd = try await blocking { () throws -> Int32 in
            let fd = open(file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw failure("open", errno: errno) }
            return fd
        }
        let reader = FileChunkReader(file: FileDescriptorBox(fd), offset: range?.lowerBound ?? 0,
                                     end: range.map { $0.upperBound + 1 } ?? Int64.max, chunkSize: Self.ioChunkSize, threads: threads)
        return BlobByteStream(next: { try await reader.next() })
    }

    public func stat(_ path: String) async throws -> StorageStat? {
        let file = try fullPath(path)
        return try await blocking { Self.fileStat(file) }
    }

    public func delete(_ path: String) async throws {
        let file = try fullPath(path)
        let root = root
        try await blocking {
            guard unlink(file) == 0 else {
                // Nothing there, or a directory (which holds objects but is none).
                guard errno == ENOENT || errno == EISDIR else { throw failure("unlink", errno: errno) }
                return
            }
            Self.removeEmptyParents(of: file, below: root)
        }
    }

    public func list(prefix: String) async throws -> [StorageEntry] {
        let directory = prefix.lastIndex(of: "/").map { String(prefix[..<$0]) } ?? ""
        let root = root
        return try await blocking {
            var entries: [StorageEntry] = []
            Self.walk(root: root, relative: directory) { relative, stat in
                if relative.hasPrefix(prefix) { entries.append(StorageEntry(path: relative, stat: stat)) }
            }
            return entries
        }
    }

    public func move(_ source: String, to target: String) async throws {
        let from = try fullPath(source)
        let to = try fullPath(target)
        try await blocking {
            guard utimensat(AT_FDCWD, from, nil, 0) == 0 else { throw failure("touch", errno: errno) }
            try Self.rename(from, to: to, failure: failure)
            Self.removeEmptyParents(of: from, below: self.root)
        }
        outages.succeeded()
    }

    public func redirectURL(for path: String) async throws -> String? { nil }

    /// Reads the file in one call on the thread pool: open, size, read.
    public func contents(of path: String, upTo limit: Int64) async throws -> Data? {
        let file = try fullPath(path)
        return try await blocking { () throws -> Data? in
            let fd = open(file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT || errno == EISDIR { return nil }
                throw failure("open", errno: errno)
            }
            defer { close(fd) }
            guard let size = regularFileSize(fd) else {
                if errno != 0 { throw failure("fstat", errno: errno) }
                return nil
            }
            guard size <= limit else { return nil }
            var data = Data(count: Int(size))
            var filled = 0
            try data.withUnsafeMutableBytes { bytes in
                while filled < bytes.count {
                    let count = pread(fd, bytes.baseAddress! + filled, bytes.count - filled, off_t(filled))
                    if count < 0 {
                        if errno == EINTR { continue }
                        throw failure("pread", errno: errno)
                    }
                    if count == 0 { break }
                    filled += count
                }
            }
            return filled == data.count ? data : data.prefix(filled)
        }
    }

    /// Joins the sources in a staging file with `sendfile`, so the bytes are copied by the kernel, then
    /// renames it into place.
    public func compose(_ sources: [String], into target: String) async throws {
        let files = try sources.map(fullPath)
        let destination = try fullPath(target)
        let staging = "\(root)/.staging/\(UUID().uuidString.lowercased())"
        try await blocking {
            let out = open(staging, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
            guard out >= 0 else { throw failure("create", errno: errno) }
            var placed = false
            defer {
                close(out)
                if !placed { unlink(staging) }
            }
            for file in files {
                let input = open(file, O_RDONLY | O_CLOEXEC)
                guard input >= 0 else { throw failure("open", errno: errno) }
                defer { close(input) }
                while true {
                    let sent = sendfile(out, input, nil, 1 << 30)
                    if sent < 0 {
                        if errno == EINTR { continue }
                        throw failure("sendfile", errno: errno)
                    }
                    if sent == 0 { break }
                }
            }
            guard fsync(out) == 0 else { throw failure("fsync", errno: errno) }
            try Self.rename(staging, to: destination, failure: failure)
            placed = true
        }
        outages.succeeded()
    }

    // MARK: File system helpers (called on the thread pool)

    static func fileStat(_ path: String) -> StorageStat? { regularFileStat(path) }

    /// Calls `visit` with every regular file under `root/relative` (recursively), skipping names that
    /// start with a dot (the staging area).
    static func walk(root: String, relative: String, visit: (String, StorageStat) -> Void) {
        let directory = relative.isEmpty ? root : "\(root)/\(relative)"
        guard let handle = opendir(directory) else { return }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if !name.hasPrefix(".") { names.append(name) }
        }
        closedir(handle)
        for name in names {
            let path = relative.isEmpty ? name : "\(relative)/\(name)"
            if let stat = fileStat("\(root)/\(path)") {
                visit(path, stat)
            } else {
                walk(root: root, relative: path, visit: visit)
            }
        }
    }

    static func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw StorageError.io("mkdir \(current)", errno: errno)
            }
        }
    }

    /// Renames `source` to `target` durably, making the target's directory first. A directory emptied
    /// and removed by another request at the same moment (`removeEmptyParents`) is made again.
    static func rename(_ source: String, to target: String, failure: (String, Int32) -> any Error) throws {
        let directory = String(target[..<target.lastIndex(of: "/")!])
        var attempts = 0
        while true {
            attempts += 1
            if let code = makeDirectoryRacing(directory) {
                guard code == ENOENT, attempts < 5 else { throw failure("mkdir \(directory)", code) }
                continue
            }
            if Glibc.rename(source, target) == 0 { break }
            let code = errno
            guard code == ENOENT, access(source, F_OK) == 0, attempts < 5 else { throw failure("rename", code) }
        }
        syncParent(of: target)
    }

    /// Makes `path` and its parents; the errno of a failure (ENOENT when a parent vanished meanwhile).
    static func makeDirectoryRacing(_ path: String) -> Int32? {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST { return errno }
        }
        return nil
    }

    /// Removes the directories that held `file` as long as they are empty, but never the top-level ones
    /// under `root` (`uploads`, `blobs`): so that the directories of finished uploads do not pile up.
    static func removeEmptyParents(of file: String, below root: String) {
        var directory = String(file[..<file.lastIndex(of: "/")!])
        while directory.hasPrefix(root + "/"), directory.dropFirst(root.count + 1).contains("/"), rmdir(directory) == 0 {
            directory = String(directory[..<directory.lastIndex(of: "/")!])
        }
    }

    /// Makes a rename into the directory of `file` durable.
    static func syncParent(of file: String) {
        let fd = open(String(file[..<file.lastIndex(of: "/")!]), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

/// A regular file's size and modification time (outside `FilesystemDriver`, whose `stat` hides the C function).
private func regularFileStat(_ path: String) -> StorageStat? {
    var info = stat()
    guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    return StorageStat(size: Int64(info.st_size), modified: Date(timeIntervalSince1970: modified))
}

/// The size of the open file `fd`; nil with `errno` 0 when it is not a regular file, nil with `errno` set
/// when `fstat` failed.
private func regularFileSize(_ fd: Int32) -> Int64? {
    var info = stat()
    guard fstat(fd, &info) == 0 else { return nil }
    errno = 0
    guard (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return Int64(info.st_size)
}
