import NIOCore

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
