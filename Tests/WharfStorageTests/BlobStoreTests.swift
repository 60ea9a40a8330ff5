import Foundation
import NIOCore
import WharfOCI
import WharfStorage
import XCTest

/// The registry's blob layout on a driver: uploads made of parts become a blob in one atomic step, on
/// the filesystem and in memory alike.
final class BlobStoreTests: XCTestCase {
    func eachStore(_ body: (BlobStore) async throws -> Void) async throws {
        try await body(BlobStore(driver: try FilesystemDriver(root: NSTemporaryDirectory() + "wharf-blobs-" + UUID().uuidString)))
        try await body(BlobStore(driver: InMemoryDriver()))
    }

    func part(_ blobs: BlobStore, upload: String, at offset: Int64, _ text: String) async throws -> String {
        let (path, writer) = try await blobs.partWriter(upload: upload, at: offset)
        try await writer.write(ByteBuffer(string: text))
        try await writer.commit()
        return path
    }

    func text(_ stream: BlobByteStream) async throws -> String {
        var collected = ByteBuffer()
        for try await var buffer in stream { collected.writeBuffer(&buffer) }
        return String(buffer: collected)
    }

    func testAOnePartUploadIsMovedIntoPlace() async throws {
        try await eachStore { blobs in
            let path = try await part(blobs, upload: "u1", at: 0, "single part")
            let digest = Digest.of(Data("single part".utf8))
            try await blobs.commitUpload(parts: [path], as: digest, size: 11)
            let size = try await blobs.size(of: digest)
            XCTAssertEqual(size, 11)
            let read = try await text(blobs.read(digest, range: 7...10))
            XCTAssertEqual(read, "part")
            let gone = try await blobs.driver.stat(path)
            XCTAssertNil(gone, "the part became the blob")
        }
    }

    func testSeveralPartsAreJoinedInOrder() async throws {
        try await eachStore { blobs in
            let first = try await part(blobs, upload: "u2", at: 0, "hello, ")
            let second = try await part(blobs, upload: "u2", at: 7, "world")
            let staged = try await text(blobs.readParts([first, second]))
            XCTAssertEqual(staged, "hello, world")
            let digest = Digest.of(Data("hello, world".utf8))
            try await blobs.commitUpload(parts: [first, second], as: digest, size: 12)
            let read = try await text(blobs.read(digest, range: nil))
            XCTAssertEqual(read, "hello, world")
            let left = try await blobs.driver.list(prefix: "uploads/u2/")
            XCTAssertEqual(left, [], "the parts are gone")
        }
    }

    func testAMissingOrShortPartFailsTheCommitAndStoresNothing() async throws {
        try await eachStore { blobs in
            let first = try await part(blobs, upload: "u3", at: 0, "abc")
            let digest = Digest.of(Data("abcdef".utf8))
            do {
                try await blobs.commitUpload(parts: [first, "uploads/u3/3-missing"], as: digest, size: 6)
                XCTFail("committed with a part missing")
            } catch StorageError.notFound {}
            do {
                try await blobs.commitUpload(parts: [first], as: digest, size: 6)
                XCTFail("committed fewer bytes than verified")
            } catch StorageError.notFound {}
            let size = try await blobs.size(of: digest)
            XCTAssertNil(size)
        }
    }

    func testAnEmptyBlobAndASHA512Blob() async throws {
        try await eachStore { blobs in
            let empty = Digest.of(Data())
            try await blobs.commitUpload(parts: [], as: empty, size: 0)
            let emptySize = try await blobs.size(of: empty)
            XCTAssertEqual(emptySize, 0)
            let path = try await part(blobs, upload: "u4", at: 0, "sha512 content")
            let digest = Digest.of(Data("sha512 content".utf8), algorithm: .sha512)
            try await blobs.commitUpload(parts: [path], as: digest, size: 14)
            let listed = try await blobs.driver.list(prefix: "blobs/sha512/").map(\.path)
            XCTAssertEqual(listed, ["blobs/sha512/\(digest.hex.prefix(2))/\(digest.hex)"])
        }
    }

    func testCommittingTheSameDigestTwiceKeepsOneCopy() async throws {
        try await eachStore { blobs in
            let digest = Digest.of(Data("same".utf8))
            for upload in ["a", "b"] {
                let path = try await part(blobs, upload: upload, at: 0, "same")
                try await blobs.commitUpload(parts: [path], as: digest, size: 4)
            }
            let stored = try await blobs.driver.list(prefix: "blobs/")
            XCTAssertEqual(stored.count, 1)
        }
    }

    func testDeletingAnUploadRemovesEveryPartAndStagedUploadsAreFoundByAge() async throws {
        try await eachStore { blobs in
            _ = try await part(blobs, upload: "old", at: 0, "x")
            _ = try await part(blobs, upload: "new", at: 0, "y")
            let future = try await blobs.stagedUploads(lastWrittenBefore: Date(timeIntervalSinceNow: 60))
            XCTAssertEqual(future, ["new", "old"])
            let past = try await blobs.stagedUploads(lastWrittenBefore: Date(timeIntervalSinceNow: -60))
            XCTAssertEqual(past, [])
            try await blobs.deleteUpload(id: "old")
            let left = try await blobs.stagedUploads(lastWrittenBefore: Date(timeIntervalSinceNow: 60))
            XCTAssertEqual(left, ["new"])
            try await blobs.deleteUpload(id: "never-existed")
        }
    }

    func testReadingAMissingBlobIsNotFoundAndDeletingItIsHarmless() async throws {
        try await eachStore { blobs in
            let digest = Digest.of(Data("absent".utf8))
            do {
                _ = try await blobs.read(digest, range: nil)
                XCTFail("read a missing blob")
            } catch StorageError.notFound {}
            try await blobs.delete(digest)
        }
    }
}
