import Foundation
import NIOCore
import WharfOCI
import XCTest
@testable import WharfStorage

/// Stored blobs that no row records (a crash between storing and recording) are removed once they are
/// older than the grace period; recorded blobs, young ones and ones a commit stores again stay.
final class BlobReconcilerTests: XCTestCase {
    private var root = ""

    private func makeStore() throws -> BlobStore {
        root = NSTemporaryDirectory() + "wharf-reconcile-" + UUID().uuidString
        return BlobStore(driver: try FilesystemDriver(root: root))
    }

    /// Stores `text` as a blob through a one-part upload; its digest.
    private func store(_ text: String, in blobs: BlobStore, age: TimeInterval = 0) async throws -> Digest {
        let (part, writer) = try await blobs.partWriter(upload: UUID().uuidString, at: 0)
        try await writer.write(ByteBuffer(string: text))
        try await writer.commit()
        let digest = Digest.of(Data(text.utf8))
        try await blobs.commitUpload(parts: [part], as: digest, size: Int64(text.utf8.count))
        if age > 0 {
            let past = Date(timeIntervalSinceNow: -age)
            try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: root + "/" + BlobStore.blobPath(digest))
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
        try await blobs.driver.move(BlobStore.blobPath(interrupted), to: BlobStore.quarantinePath(interrupted))
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
