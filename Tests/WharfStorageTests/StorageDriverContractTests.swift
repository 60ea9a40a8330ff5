import Foundation
import NIOCore
import WharfStorage
import WharfTestSupport
import XCTest

/// Every driver passes the one shared suite of the storage-driver contract.
final class StorageDriverContractTests: XCTestCase {
    func testTheFilesystemDriverKeepsTheContract() async throws {
        try await StorageDriverContract.check {
            try FilesystemDriver(root: NSTemporaryDirectory() + "wharf-driver-" + UUID().uuidString)
        }
    }

    func testTheInMemoryDriverKeepsTheContract() async throws {
        try await StorageDriverContract.check { InMemoryDriver() }
    }

    /// A write that was never committed (its process died) leaves a staging file, invisible to readers and
    /// listings, which a driver opened a day later removes.
    func testStaleStagingFilesAreRemovedWhenADriverOpens() async throws {
        let root = NSTemporaryDirectory() + "wharf-driver-" + UUID().uuidString
        let driver = try FilesystemDriver(root: root)
        let writer = try await driver.writer(to: "left/behind")
        try await writer.write(ByteBuffer(string: "half an object"))
        let staged = try FileManager.default.contentsOfDirectory(atPath: root + "/.staging")
        XCTAssertEqual(staged.count, 1)
        let listed = try await driver.list(prefix: "")
        XCTAssertEqual(listed, [])
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -2 * 86_400)],
                                              ofItemAtPath: root + "/.staging/" + staged[0])
        _ = try FilesystemDriver(root: root)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/.staging"), [])
        await writer.cancel()
    }
}
