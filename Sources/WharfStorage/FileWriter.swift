#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif
import NIOConcurrencyHelpers
import NIOCore

/// Writes an object into a staging file: buffers are gathered up to `FilesystemDriver.ioChunkSize` and
/// written in one call on the thread pool; `commit` syncs the file and renames it into place.
final class FileWriter: StorageWriter {
    private let file: FileDescriptorBox
    private let staging: String
    private let target: String
    private let driver: FilesystemDriver
    private struct State {
        var pending: [ByteBuffer] = []
        var pendingBytes = 0
        var finished = false
    }
    private let state = NIOLockedValueBox(State())

    init(fd: Int32, staging: String, target: String, driver: FilesystemDriver) {
        file = FileDescriptorBox(fd)
        self.staging = staging
        self.target = target
        self.driver = driver
    }

    func write(_ buffer: ByteBuffer) async throws {
        let full = state.withLockedValue { state in
            state.pending.append(buffer)
            state.pendingBytes += buffer.readableBytes
            return state.pendingBytes >= FilesystemDriver.ioChunkSize
        }
        if full { try await flush() }
    }

    /// Writes the gathered buffers to the file.
    private func flush() async throws {
        let buffers = state.withLockedValue { state in
            defer {
                state.pending.removeAll(keepingCapacity: true)
                state.pendingBytes = 0
            }
            return state.pending
        }
        guard !buffers.isEmpty else { return }
        let file = file
        let driver = driver
        try await driver.blocking {
            for buffer in buffers {
                try buffer.withUnsafeReadableBytes { pointer in
                    var written = 0
                    while written < pointer.count {
                        let count = systemWrite(file.fd, pointer.baseAddress! + written, pointer.count - written)
                        if count < 0 {
                            if errno == EINTR { continue }
                            throw driver.failure("write", errno: errno)
                        }
                        written += count
                    }
                }
            }
        }
    }

    func commit() async throws {
        try await flush()
        let (file, staging, target, driver) = (file, staging, target, driver)
        try await driver.blocking {
            guard fsync(file.fd) == 0 else { throw driver.failure("fsync", errno: errno) }
            file.close()
            try FilesystemDriver.rename(staging, to: target, failure: driver.failure)
        }
        state.withLockedValue { $0.finished = true }
        driver.outages.succeeded()
    }

    func cancel() async {
        let finished = state.withLockedValue { state in
            defer { state.finished = true }
            return state.finished
        }
        guard !finished else { return }
        let (file, staging) = (file, staging)
        _ = try? await driver.blocking {
            file.close()
            unlink(staging)
        }
    }

    deinit {
        // A writer dropped without commit or cancel (its request failed) leaves no staging file behind.
        if !state.withLockedValue({ $0.finished }) {
            file.close()
            unlink(staging)
        }
    }
}

/// Owns a file descriptor and closes it exactly once.
final class FileDescriptorBox: Sendable {
    let fd: Int32
    private let closed = NIOLockedValueBox(false)

    init(_ fd: Int32) { self.fd = fd }

    func close() {
        let shouldClose = closed.withLockedValue { closed in
            defer { closed = true }
            return !closed
        }
        if shouldClose { _ = Glibc.close(fd) }
    }

    deinit { close() }
}
