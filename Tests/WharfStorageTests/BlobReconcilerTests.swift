import Foundation
import NIOCore
import WharfOCI
import XCTest
@testable import WharfStorage

/// Stored blobs that no row records (a crash between storing and recording) are removed once they are
/// older than the grace period; recorded blobs, young ones and ones a commit stores again stay.
final class BlobReconcilerTests: XCTestCase {
    private func makeStore() throws -> FilesystemBlobStore {
        try FilesystemBlobStore(root: NSTemporaryDirectory() + "wharf-reconcile-" + UUID().uuidString)
    }

    /// Stores `text` as a blob through an upload; its digest.
    private func store(_ text: String, in blobs: FilesystemBlobStore, age: TimeInterval = 0) async throws -> Digest {
        let id = UUID().uuidString
        try await blobs.createUpload(id: id)
        let appender = try await blobs.appendToUpload(id: id, at: 0)
        try await appender.write(ByteBuffer(string: text))
        try await appender.close()
        let digest = Digest.of(Data(text.utf8))
        try await blobs.commitUpload(id: id, as: digest, size: Int64(text.utf8.count))
        if age > 0 {
            let past = Date(timeIntervalSinceNow: -age)
            try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: blobs.blobPath(digest))
        }
        return digest
    }

    func testOnlyOldUnrecordedBlobsAreRemoved() async throws {
        let blobs = try makeStore()
        let orphan = try await store("orphan", in: blobs, age: 7200)
        let recorded = try await store("recorded", in: blobs, age: 7200)
        let young = try await store("young", in: blobs)
        let removed = try await blobs.removeUnrecordedBlobs(writtenBefore: Date(timeIntervalSinceNow: -3600)) { digests in
            Set(digests.filter { $0 == recorded })
        }
        XCTAssertEqual(removed, [orphan])
        let orphanSize = try await blobs.size(of: orphan)
        let recordedSize = try await blobs.size(of: recorded)
        let youngSize = try await blobs.size(of: young)
        XCTAssertNil(orphanSize)
        XCTAssertEqual(recordedSize, 8)
        XCTAssertEqual(youngSize, 5)
    }

    /// A blob recorded between the listing and its removal (the second question) stays, and so does one a
    /// leftover move aside of an earlier, interrupted sweep.
    func testABlobRecordedMeanwhileOrLeftAsideStays() async throws {
        let blobs = try makeStore()
        let late = try await store("recorded late", in: blobs, age: 7200)
        let asked = LockedCounter()
        let removed = try await blobs.removeUnrecordedBlobs(writtenBefore: Date(timeIntervalSinceNow: -3600)) { digests in
            asked.increment() == 0 ? [] : Set(digests)
        }
        XCTAssertEqual(removed, [])
        let lateSize = try await blobs.size(of: late)
        XCTAssertEqual(lateSize, 13)

        let interrupted = try await store("interrupted sweep", in: blobs)
        let path = blobs.blobPath(interrupted)
        XCTAssertEqual(rename(path, FilesystemBlobStore.quarantinePath(path)), 0)
        _ = try await blobs.removeUnrecordedBlobs(writtenBefore: Date(timeIntervalSinceNow: -3600)) { _ in [] }
        let restoredSize = try await blobs.size(of: interrupted)
        XCTAssertEqual(restoredSize, 17, "a blob left aside by an interrupted sweep is put back")
    }
}

/// Counts calls from a `@Sendable` closure.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    /// The count before this call.
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        defer { value += 1 }
        return value
    }
}
