import Foundation
import NIOCore
import WharfOCI
@testable import WharfStorage
import XCTest

final class FilesystemBlobStoreTests: XCTestCase {
    var root: String!
    var store: FilesystemBlobStore!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "wharf-blobs-" + UUID().uuidString
        store = try FilesystemBlobStore(root: root)
    }

    override func tearDownWithError() throws {
        if let root { try? FileManager.default.removeItem(atPath: root) }
    }

    // MARK: Helpers

    func bytes(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed) &+ ($0 >> 8)) }
    }

    func append(_ id: String, at offset: Int64, _ chunks: [[UInt8]]) async throws {
        let appender = try await store.appendToUpload(id: id, at: offset)
        for chunk in chunks { try await appender.write(ByteBuffer(bytes: chunk)) }
        try await appender.close()
    }

    /// Uploads `content` in one go and commits it; returns its digest.
    @discardableResult
    func put(_ content: [UInt8], id: String = UUID().uuidString) async throws -> Digest {
        try await store.createUpload(id: id)
        try await append(id, at: 0, [content])
        let digest = Digest.of(content)
        try await store.commitUpload(id: id, as: digest)
        return digest
    }

    func collect(_ stream: BlobByteStream) async throws -> (bytes: [UInt8], chunks: [Int]) {
        var out = [UInt8]()
        var chunks = [Int]()
        for try await var buffer in stream {
            chunks.append(buffer.readableBytes)
            out += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
        return (out, chunks)
    }

    func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    func stagedFiles() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: root + "/uploads") }

    // MARK: Layout

    func testInitCreatesDirectories() {
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/blobs", isDirectory: &isDirectory))
        XCTAssertTrue(isDirectory.boolValue)
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/uploads", isDirectory: &isDirectory))
        XCTAssertTrue(isDirectory.boolValue)
        // Opening the same root again is fine.
        XCTAssertNoThrow(try FilesystemBlobStore(root: root))
    }

    func testPaths() throws {
        let digest = Digest.of(Array("abc".utf8))
        XCTAssertEqual(store.blobPath(digest),
                       "\(root!)/blobs/sha256/ba/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(store.uploadPath("u1"), "\(root!)/uploads/u1")
        let sha512 = Digest.of(Array("abc".utf8), algorithm: .sha512)
        XCTAssertEqual(store.blobPath(sha512), "\(root!)/blobs/sha512/dd/\(sha512.hex)")
    }

    // MARK: Uploads

    func testUploadAndCommitMakesBlobReadable() async throws {
        let id = "upload-1"
        let content = bytes(10_000)
        let digest = Digest.of(content)

        let missingSize = try await store.uploadedSize(id: id)
        XCTAssertNil(missingSize, "no upload yet")
        try await store.createUpload(id: id)
        let empty = try await store.uploadedSize(id: id)
        XCTAssertEqual(empty, 0)

        try await append(id, at: 0, [Array(content[0..<4000])])
        let afterFirst = try await store.uploadedSize(id: id)
        XCTAssertEqual(afterFirst, 4000)
        try await append(id, at: 4000, [Array(content[4000..<7000]), Array(content[7000...])])
        let afterSecond = try await store.uploadedSize(id: id)
        XCTAssertEqual(afterSecond, 10_000)

        let staged = try await collect(store.readUpload(id: id))
        XCTAssertEqual(staged.bytes, content)

        let beforeCommit = try await store.size(of: digest)
        XCTAssertNil(beforeCommit, "not visible before commit")
        try await store.commitUpload(id: id, as: digest)

        let size = try await store.size(of: digest)
        XCTAssertEqual(size, 10_000)
        XCTAssertTrue(fileExists(store.blobPath(digest)))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: store.blobPath(digest))), Data(content))
        XCTAssertFalse(fileExists(store.uploadPath(id)), "the staged file was moved")
        let stagedSize = try await store.uploadedSize(id: id)
        XCTAssertNil(stagedSize)

        let read = try await collect(store.read(digest, range: nil))
        XCTAssertEqual(read.bytes, content)
        XCTAssertEqual(Digest.of(read.bytes), digest)
        let redirect = try await store.redirectURL(for: digest)
        XCTAssertNil(redirect)
    }

    func testCreateUploadTwiceFails() async throws {
        try await store.createUpload(id: "dup")
        do {
            try await store.createUpload(id: "dup")
            XCTFail("a second upload with the same id was created")
        } catch BlobStoreError.io(_, let code) {
            XCTAssertEqual(code, EEXIST)
        }
    }

    func testEmptyBlob() async throws {
        let digest = try await put([])
        XCTAssertEqual(digest.hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let size = try await store.size(of: digest)
        XCTAssertEqual(size, 0)
        let read = try await collect(store.read(digest, range: nil))
        XCTAssertEqual(read.bytes, [])
        XCTAssertEqual(read.chunks, [])
    }

    func testCommittingTheSameDigestTwiceKeepsOneCopy() async throws {
        let content = bytes(3000, seed: 9)
        let digest = try await put(content, id: "first")
        let firstPath = store.blobPath(digest)
        let firstInode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: firstPath)[.systemFileNumber] as? NSNumber)

        try await store.createUpload(id: "second")
        try await append("second", at: 0, [content])
        try await store.commitUpload(id: "second", as: digest)

        XCTAssertFalse(fileExists(store.uploadPath("second")), "the second staged file was removed")
        XCTAssertEqual(try stagedFiles(), [])
        let secondInode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: firstPath)[.systemFileNumber] as? NSNumber)
        XCTAssertNotEqual(firstInode, secondInode,
                          "the fresh copy replaces the stored one, so a reconciler removing an unrecorded copy never removes the one committed")
        let directory = (firstPath as NSString).deletingLastPathComponent
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [digest.hex])
        let read = try await collect(store.read(digest, range: nil))
        XCTAssertEqual(read.bytes, content)
    }

    func testCommitOfMissingUploadThrowsNotFound() async throws {
        do {
            try await store.commitUpload(id: "nope", as: Digest.of([1, 2, 3]))
            XCTFail("commit of an unknown upload succeeded")
        } catch BlobStoreError.notFound {}
    }

    func testAppendToMissingUploadThrowsNotFound() async throws {
        do {
            _ = try await store.appendToUpload(id: "nope", at: 0)
            XCTFail("append to an unknown upload succeeded")
        } catch BlobStoreError.notFound {}
    }

    func testAppendAtSmallerOffsetTruncatesFailedChunk() async throws {
        let id = "resume"
        let good = bytes(5000, seed: 1)
        let rest = bytes(2000, seed: 2)
        try await store.createUpload(id: id)
        try await append(id, at: 0, [good])
        // A chunk that failed half-way: some of its bytes reached the file, but the upload's recorded
        // size is still 5000.
        try await append(id, at: 5000, [Array(repeating: 0xEE, count: 1234)])
        let partial = try await store.uploadedSize(id: id)
        XCTAssertEqual(partial, 6234)

        // The client retries from the recorded offset: the stray bytes are cut off.
        let appender = try await store.appendToUpload(id: id, at: 5000)
        let truncated = try await store.uploadedSize(id: id)
        XCTAssertEqual(truncated, 5000, "opening at an offset truncates at once")
        try await appender.write(ByteBuffer(bytes: rest))
        try await appender.close()

        let size = try await store.uploadedSize(id: id)
        XCTAssertEqual(size, 7000)
        let staged = try await collect(store.readUpload(id: id))
        XCTAssertEqual(staged.bytes, good + rest)

        let digest = Digest.of(good + rest)
        try await store.commitUpload(id: id, as: digest)
        let read = try await collect(store.read(digest, range: nil))
        XCTAssertEqual(read.bytes, good + rest)
    }

    func testAppendAtZeroRestartsUpload() async throws {
        try await store.createUpload(id: "restart")
        try await append("restart", at: 0, [bytes(100)])
        try await append("restart", at: 0, [[1, 2, 3]])
        let size = try await store.uploadedSize(id: "restart")
        XCTAssertEqual(size, 3)
        let staged = try await collect(store.readUpload(id: "restart"))
        XCTAssertEqual(staged.bytes, [1, 2, 3])
    }

    func testDeleteUploadRemovesStagedBytes() async throws {
        try await store.createUpload(id: "gone")
        try await append("gone", at: 0, [bytes(4096)])
        XCTAssertTrue(fileExists(store.uploadPath("gone")))
        try await store.deleteUpload(id: "gone")
        XCTAssertFalse(fileExists(store.uploadPath("gone")))
        let size = try await store.uploadedSize(id: "gone")
        XCTAssertNil(size)
        XCTAssertEqual(try stagedFiles(), [])
        do {
            _ = try await store.readUpload(id: "gone")
            XCTFail("read a deleted upload")
        } catch BlobStoreError.notFound {}
        // Deleting again is harmless.
        try await store.deleteUpload(id: "gone")
    }

    // MARK: Reading

    func testReadMissingBlobThrowsNotFound() async throws {
        let digest = Digest.of(Array("never stored".utf8))
        let size = try await store.size(of: digest)
        XCTAssertNil(size)
        do {
            _ = try await store.read(digest, range: nil)
            XCTFail("read of a missing blob succeeded")
        } catch BlobStoreError.notFound {}
        do {
            _ = try await store.read(digest, range: 0...10)
            XCTFail("ranged read of a missing blob succeeded")
        } catch BlobStoreError.notFound {}
    }

    func testRangedReads() async throws {
        let content = bytes(1000, seed: 3)
        let digest = try await put(content)
        let ranges: [ClosedRange<Int64>] = [0...0, 0...9, 10...19, 500...999, 999...999, 0...999, 123...876]
        for range in ranges {
            let read = try await collect(store.read(digest, range: range))
            XCTAssertEqual(read.bytes, Array(content[Int(range.lowerBound)...Int(range.upperBound)]), "\(range)")
        }
    }

    func testRangePastTheEndStopsAtEndOfFile() async throws {
        let content = bytes(100)
        let digest = try await put(content)
        let read = try await collect(store.read(digest, range: 90...500))
        XCTAssertEqual(read.bytes, Array(content[90...]))
        let beyond = try await collect(store.read(digest, range: 200...300))
        XCTAssertEqual(beyond.bytes, [])
    }

    func testLargeBlobStreamsInSeveralChunks() async throws {
        let mebibyte = 1 << 20
        let content = bytes(5 * mebibyte + 12345, seed: 5)
        let id = "large"
        try await store.createUpload(id: id)
        // Written in uneven pieces, as a client would.
        var pieces = [[UInt8]]()
        var index = 0
        var piece = 65_537
        while index < content.count {
            let end = min(index + piece, content.count)
            pieces.append(Array(content[index..<end]))
            index = end
            piece = piece * 2 + 1
        }
        try await append(id, at: 0, pieces)
        let digest = Digest.of(content)
        try await store.commitUpload(id: id, as: digest)
        let size = try await store.size(of: digest)
        XCTAssertEqual(size, Int64(content.count))

        let read = try await collect(store.read(digest, range: nil))
        XCTAssertEqual(read.bytes.count, content.count)
        XCTAssertTrue(read.bytes == content, "content differs")
        XCTAssertEqual(read.chunks, [mebibyte, mebibyte, mebibyte, mebibyte, mebibyte, 12345])

        // A range across a chunk boundary.
        let lower = mebibyte - 10, upper = 3 * mebibyte + 10
        let ranged = try await collect(store.read(digest, range: Int64(lower)...Int64(upper)))
        XCTAssertTrue(ranged.bytes == Array(content[lower...upper]), "ranged content differs")
        XCTAssertEqual(ranged.chunks.reduce(0, +), upper - lower + 1)
        XCTAssertGreaterThan(ranged.chunks.count, 1)

        let staged = try await store.uploadedSize(id: id)
        XCTAssertNil(staged)
    }

    func testStreamingHashMatches() async throws {
        let content = bytes(2 * (1 << 20) + 1, seed: 11)
        let digest = try await put(content)
        var hasher = DigestHasher()
        for try await buffer in try await store.read(digest, range: nil) {
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        }
        XCTAssertEqual(hasher.finalize(), digest)
    }

    func testReaderReusesTheBuffersItsConsumerLetGoOf() async throws {
        let content = bytes(10 * (1 << 20) + 5, seed: 3)
        let digest = try await put(content)
        var storages = Set<Int>()
        var hasher = DigestHasher()
        for try await buffer in try await store.read(digest, range: nil) {
            storages.insert(buffer.withVeryUnsafeBytes { Int(bitPattern: $0.baseAddress) })
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        }
        XCTAssertEqual(hasher.finalize(), digest)
        XCTAssertLessThanOrEqual(storages.count, FileChunkReader.ringSize, "11 chunks should fit in the reader's ring")
    }

    func testConsumerKeepingEveryChunkStillGetsTheWholeBlob() async throws {
        let content = bytes(FileChunkReader.ringSize * (1 << 20) + 2 * (1 << 20) + 9, seed: 5)
        let digest = try await put(content)
        var kept = [ByteBuffer]()
        for try await buffer in try await store.read(digest, range: nil) { kept.append(buffer) }
        XCTAssertEqual(kept.count, FileChunkReader.ringSize + 3)
        XCTAssertEqual(kept.flatMap { Array($0.readableBytesView) }, content)
    }

    func testAbandonedStreamDoesNotBreakTheStore() async throws {
        let content = bytes(3 * (1 << 20))
        let digest = try await put(content)
        do {
            let stream = try await store.read(digest, range: nil)
            for try await _ in stream { break }
        }
        let again = try await collect(store.read(digest, range: nil))
        XCTAssertEqual(again.bytes.count, content.count)
    }

    // MARK: Deleting

    func testDeleteBlob() async throws {
        let digest = try await put(bytes(10))
        try await store.delete(digest)
        let size = try await store.size(of: digest)
        XCTAssertNil(size)
        do {
            _ = try await store.read(digest, range: nil)
            XCTFail("read a deleted blob")
        } catch BlobStoreError.notFound {}
        // Deleting a missing blob is harmless.
        try await store.delete(digest)
    }

    func testSHA512BlobsLiveUnderTheirAlgorithm() async throws {
        let content = bytes(77)
        let digest = Digest.of(content, algorithm: .sha512)
        try await store.createUpload(id: "s512")
        try await append("s512", at: 0, [content])
        try await store.commitUpload(id: "s512", as: digest)
        XCTAssertTrue(fileExists("\(root!)/blobs/sha512/\(digest.hex.prefix(2))/\(digest.hex)"))
        let read = try await collect(store.read(digest, range: nil))
        XCTAssertEqual(read.bytes, content)
    }
}

/// An upload is written by one request at a time.
final class UploadExclusivityTests: XCTestCase {
    func testConcurrentAppendAndCommitAreRefusedWhileAnAppendIsOpen() async throws {
        let root = NSTemporaryDirectory() + "wharf-excl-\(UUID().uuidString)"
        let store = try FilesystemBlobStore(root: root)
        try await store.createUpload(id: "u")
        let first = try await store.appendToUpload(id: "u", at: 0)
        try await first.write(ByteBuffer(string: "hashed"))
        do {
            _ = try await store.appendToUpload(id: "u", at: 0)
            XCTFail("a second writer got the upload")
        } catch BlobStoreError.busy {}
        let digest = Digest.of(Data("hashed".utf8))
        do {
            try await store.commitUpload(id: "u", as: digest, size: 6)
            XCTFail("committed while a writer was still appending")
        } catch BlobStoreError.busy {}
        try await first.write(ByteBuffer(string: " and more"))
        try await first.close()
        try await store.commitUpload(id: "u", as: digest, size: 6)
        let size = try await store.size(of: digest)
        XCTAssertEqual(size, 6, "only the hashed bytes become the blob")
    }
}

extension FilesystemBlobStore {
    /// Commits every staged byte (the tests hash what they staged).
    func commitUpload(id: String, as digest: Digest) async throws {
        let size = try await uploadedSize(id: id) ?? 0
        try await commitUpload(id: id, as: digest, size: size)
    }
}
