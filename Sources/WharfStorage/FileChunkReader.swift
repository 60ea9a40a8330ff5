#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// Reads a file chunk by chunk with `pread` on the thread pool. The stream that owns it calls `next` one
/// call at a time.
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
    private let threads: NIOThreadPool
    private var ring: [ByteBuffer?]
    private var slot = 0
    private let allocator = ByteBufferAllocator()

    static let ringSize = 4
    static let patience: Duration = .milliseconds(100)

    /// Carries a buffer to the thread pool and back without a second reference to it (which would make
    /// the write into it copy the storage).
    private final class Carrier: @unchecked Sendable {
        var buffer: ByteBuffer?
        init(_ buffer: consuming ByteBuffer) { self.buffer = buffer }
    }

    init(file: FileDescriptorBox, offset: Int64, end: Int64, chunkSize: Int, threads: NIOThreadPool) {
        self.file = file
        self.offset = offset
        self.end = end
        self.chunkSize = chunkSize
        self.threads = threads
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
            let unique = buffer.modifyIfUniquelyOwned { _ in true } ?? false
            if unique {
                let carrier = Carrier(consume buffer)
                let (file, position) = (file, offset)
                let count = try await threads.runIfActive { () throws -> Int in
                    var buffer = carrier.buffer.take()!
                    defer { carrier.buffer = buffer }
                    return try Self.fill(&buffer, count: want, from: file, at: position)
                }
                buffer = carrier.buffer.take()!
                ring[slot] = buffer
                if count == 0 { file.close(); return nil }
                offset += Int64(count)
                slot = (slot + 1) % Self.ringSize
                return buffer
            }
            ring[slot] = buffer
            if waited >= Self.patience {
                ring[slot] = nil
                continue
            }
            try await Task.sleep(for: pause)
            waited += pause
            pause = min(pause * 2, .milliseconds(2))
        }
    }

    /// Reads up to `count` bytes at `position` into `buffer`, replacing its contents.
    private static func fill(_ buffer: inout ByteBuffer, count want: Int, from file: FileDescriptorBox, at position: Int64) throws -> Int {
        buffer.clear(minimumCapacity: want)
        var failure: Int32 = 0
        let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { pointer in
            let read = pread(file.fd, pointer.baseAddress, want, off_t(position))
            if read < 0 { failure = errno }
            return max(read, 0)
        }
        if failure != 0 { file.close(); throw StorageError.io("read", errno: failure) }
        return count
    }
}
