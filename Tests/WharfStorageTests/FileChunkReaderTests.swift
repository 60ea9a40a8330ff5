import Foundation
import NIOCore
import WharfOCI
import XCTest
@testable import WharfStorage

/// The filesystem driver's reads: paced by the consumer through a ring of reused buffers, never holding
/// more than the ring unless the consumer keeps every buffer, and safe to abandon half-way.
final class FileChunkReaderTests: XCTestCase {
    var driver: FilesystemDriver!

    override func setUpWithError() throws {
        driver = try FilesystemDriver(root: NSTemporaryDirectory() + "wharf-reader-" + UUID().uuidString)
    }

    func bytes(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    func put(_ content: [UInt8]) async throws -> String {
        let writer = try await driver.writer(to: "object")
        try await writer.write(ByteBuffer(bytes: content))
        try await writer.commit()
        return "object"
    }

    func testTheReaderReusesTheBuffersItsConsumerLetGoOf() async throws {
        let content = bytes(10 * (1 << 20) + 5, seed: 3)
        let path = try await put(content)
        var storages = Set<Int>()
        var hasher = DigestHasher()
        for try await buffer in try await driver.read(path, range: nil) {
            storages.insert(buffer.withVeryUnsafeBytes { Int(bitPattern: $0.baseAddress) })
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        }
        XCTAssertEqual(hasher.finalize(), Digest.of(content))
        XCTAssertLessThanOrEqual(storages.count, FileChunkReader.ringSize, "11 chunks should fit in the reader's ring")
    }

    func testAConsumerKeepingEveryChunkStillGetsTheWholeObject() async throws {
        let content = bytes(FileChunkReader.ringSize * (1 << 20) + 2 * (1 << 20) + 9, seed: 5)
        let path = try await put(content)
        var kept = [ByteBuffer]()
        for try await buffer in try await driver.read(path, range: nil) { kept.append(buffer) }
        XCTAssertEqual(kept.count, FileChunkReader.ringSize + 3)
        XCTAssertEqual(kept.flatMap { Array($0.readableBytesView) }, content)
    }

    func testAnAbandonedStreamDoesNotBreakTheDriver() async throws {
        let content = bytes(3 * (1 << 20))
        let path = try await put(content)
        do {
            let stream = try await driver.read(path, range: nil)
            for try await _ in stream { break }
        }
        var count = 0
        for try await buffer in try await driver.read(path, range: nil) { count += buffer.readableBytes }
        XCTAssertEqual(count, content.count)
    }
}
