import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Keeps objects in memory: for tests and throwaway servers, and the reference the storage-driver
/// contract is checked against.
public final class InMemoryDriver: StorageDriver {
    private struct Object {
        var bytes: ByteBuffer
        var modified: Date
    }
    private let objects = NIOLockedValueBox([String: Object]())

    public init() {}

    public func writer(to path: String) async throws -> any StorageWriter {
        guard Self.isValid(path: path) else { throw StorageError.invalidPath(path) }
        return Writer(path: path, driver: self)
    }

    public func read(_ path: String, range: ClosedRange<Int64>?) async throws -> BlobByteStream {
        guard let object = objects.withLockedValue({ $0[path] }) else { throw StorageError.notFound }
        var bytes = object.bytes
        if let range {
            let start = Int(min(range.lowerBound, Int64(bytes.readableBytes)))
            let end = Int(min(range.upperBound + 1, Int64(bytes.readableBytes)))
            bytes = bytes.getSlice(at: bytes.readerIndex + start, length: max(end - start, 0)) ?? ByteBuffer()
        }
        let remaining = NIOLockedValueBox<ByteBuffer?>(bytes)
        return BlobByteStream(next: {
            remaining.withLockedValue { remaining in
                guard var rest = remaining, rest.readableBytes > 0 else { return nil }
                let chunk = rest.readSlice(length: min(rest.readableBytes, 64 * 1024))
                remaining = rest
                return chunk
            }
        })
    }

    public func stat(_ path: String) async throws -> StorageStat? {
        objects.withLockedValue { $0[path] }.map { StorageStat(size: Int64($0.bytes.readableBytes), modified: $0.modified) }
    }

    public func delete(_ path: String) async throws {
        _ = objects.withLockedValue { $0.removeValue(forKey: path) }
    }

    public func list(prefix: String) async throws -> [StorageEntry] {
        objects.withLockedValue { objects in
            objects.filter { $0.key.hasPrefix(prefix) }.map {
                StorageEntry(path: $0.key, stat: StorageStat(size: Int64($0.value.bytes.readableBytes), modified: $0.value.modified))
            }
        }
    }

    public func move(_ source: String, to target: String) async throws {
        guard Self.isValid(path: target) else { throw StorageError.invalidPath(target) }
        try objects.withLockedValue { objects in
            guard var object = objects.removeValue(forKey: source) else { throw StorageError.notFound }
            object.modified = Date()
            objects[target] = object
        }
    }

    public func redirectURL(for path: String) async throws -> String? { nil }

    fileprivate func store(_ bytes: ByteBuffer, at path: String) {
        objects.withLockedValue { $0[path] = Object(bytes: bytes, modified: Date()) }
    }

    /// Gathers the bytes and stores them as one object on commit.
    private final class Writer: StorageWriter {
        let path: String
        let driver: InMemoryDriver
        private let bytes = NIOLockedValueBox<ByteBuffer?>(ByteBuffer())

        init(path: String, driver: InMemoryDriver) {
            self.path = path
            self.driver = driver
        }

        func write(_ buffer: ByteBuffer) async throws {
            try bytes.withLockedValue { bytes in
                guard bytes != nil else { throw StorageError.io("write after commit or cancel", errno: EBADF) }
                var incoming = buffer
                bytes!.writeBuffer(&incoming)
            }
        }

        func commit() async throws {
            let written = try bytes.withLockedValue { bytes in
                guard let written = bytes else { throw StorageError.io("commit after cancel", errno: EBADF) }
                bytes = nil
                return written
            }
            driver.store(written, at: path)
        }

        func cancel() async {
            bytes.withLockedValue { $0 = nil }
        }
    }
}
