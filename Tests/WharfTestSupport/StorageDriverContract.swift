import Foundation
import NIOCore
import WharfStorage
import XCTest

/// The storage-driver contract as one suite every driver must pass unchanged: the filesystem and memory
/// drivers now, object storage (S3) later. A driver's test case calls `StorageDriverContract.check` with a
/// fresh driver; each check names the promise of `StorageDriver` it holds the driver to.
public enum StorageDriverContract {
    /// Runs every check against drivers made by `makeDriver` (a fresh, empty one for each check).
    public static func check(_ makeDriver: () async throws -> any StorageDriver, file: StaticString = #filePath, line: UInt = #line) async throws {
        for (name, check) in checks {
            do {
                try await check(try await makeDriver())
            } catch {
                XCTFail("\(name): \(error)", file: file, line: line)
            }
        }
    }

    static let checks: [(String, @Sendable (any StorageDriver) async throws -> Void)] = [
        ("a committed object reads back whole and by range", writtenObjectsReadBack),
        ("nothing is visible before commit, nothing stays after cancel", uncommittedWritesAreInvisible),
        ("a commit replaces the object atomically", commitReplaces),
        ("stat gives size and a recent modification time", statReportsSizeAndTime),
        ("delete removes, and deleting a missing object is harmless", deleteIsIdempotent),
        ("list finds exactly the objects under a prefix", listFindsByPrefix),
        ("move renames, replaces the target and refreshes the time", moveRenames),
        ("missing objects and invalid paths are refused clearly", missingAndInvalidAreRefused),
        ("large objects stream in several buffers", largeObjectsStream),
        ("empty objects exist", emptyObjectsExist),
        ("compose joins objects into a new one and keeps the sources", composeJoins),
        ("small objects are read whole up to a limit", contentsUpToLimit),
    ]

    static func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    static func put(_ driver: any StorageDriver, _ path: String, _ text: String) async throws {
        let writer = try await driver.writer(to: path)
        try await writer.write(bytes(text))
        try await writer.commit()
    }

    static func text(_ driver: any StorageDriver, _ path: String, range: ClosedRange<Int64>? = nil) async throws -> String {
        var collected = ByteBuffer()
        for try await var buffer in try await driver.read(path, range: range) { collected.writeBuffer(&buffer) }
        return String(buffer: collected)
    }

    static func expect(_ condition: Bool, _ message: String) throws {
        guard condition else { throw ContractViolation(message) }
    }

    struct ContractViolation: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Sendable static func writtenObjectsReadBack(_ driver: any StorageDriver) async throws {
        let writer = try await driver.writer(to: "a/b/object")
        for part in ["hello", ", ", "world"] { try await writer.write(bytes(part)) }
        try await writer.commit()
        try expect(try await text(driver, "a/b/object") == "hello, world", "whole read")
        try expect(try await text(driver, "a/b/object", range: 7...11) == "world", "range read")
        try expect(try await text(driver, "a/b/object", range: 0...0) == "h", "one-byte range")
        try expect(try await text(driver, "a/b/object", range: 7...100) == "world", "a range past the end stops at the end")
    }

    @Sendable static func uncommittedWritesAreInvisible(_ driver: any StorageDriver) async throws {
        let writer = try await driver.writer(to: "pending")
        try await writer.write(bytes("half"))
        try expect(try await driver.stat("pending") == nil, "an object is invisible before its commit")
        try expect(try await driver.list(prefix: "").isEmpty, "listing shows no uncommitted object")
        await writer.cancel()
        try expect(try await driver.stat("pending") == nil, "a cancelled write leaves nothing")
        try expect(try await driver.list(prefix: "").isEmpty, "a cancelled write leaves nothing listed")
        await writer.cancel()
    }

    @Sendable static func commitReplaces(_ driver: any StorageDriver) async throws {
        try await put(driver, "object", "first version")
        let writer = try await driver.writer(to: "object")
        try await writer.write(bytes("second"))
        try expect(try await text(driver, "object") == "first version", "the old object stays until the new one commits")
        try await writer.commit()
        try expect(try await text(driver, "object") == "second", "the commit replaces the object")
    }

    @Sendable static func statReportsSizeAndTime(_ driver: any StorageDriver) async throws {
        let before = Date().addingTimeInterval(-2)
        try await put(driver, "sized", "12345")
        let stat = try await driver.stat("sized")
        try expect(stat?.size == 5, "size")
        try expect((stat?.modified ?? .distantPast) >= before && (stat?.modified ?? .distantFuture) <= Date().addingTimeInterval(2), "modification time")
        try expect(try await driver.stat("missing") == nil, "no stat for a missing object")
    }

    @Sendable static func deleteIsIdempotent(_ driver: any StorageDriver) async throws {
        try await put(driver, "doomed", "x")
        try await driver.delete("doomed")
        try expect(try await driver.stat("doomed") == nil, "deleted")
        try await driver.delete("doomed")
    }

    @Sendable static func listFindsByPrefix(_ driver: any StorageDriver) async throws {
        for path in ["uploads/u1/0-a", "uploads/u1/5-b", "uploads/u2/0-c", "uploadsx/other", "blobs/sha256/ab/abc"] {
            try await put(driver, path, path)
        }
        let u1 = try await driver.list(prefix: "uploads/u1/").map(\.path).sorted()
        try expect(u1 == ["uploads/u1/0-a", "uploads/u1/5-b"], "a directory-like prefix: \(u1)")
        let uploads = try await driver.list(prefix: "uploads/").map(\.path).sorted()
        try expect(uploads == ["uploads/u1/0-a", "uploads/u1/5-b", "uploads/u2/0-c"], "a prefix is not a name prefix of siblings: \(uploads)")
        let partial = try await driver.list(prefix: "blobs/sha256/a").map(\.path)
        try expect(partial == ["blobs/sha256/ab/abc"], "a prefix may end inside a name: \(partial)")
        let everything = try await driver.list(prefix: "")
        try expect(everything.count == 5 && everything.allSatisfy { $0.stat.size == Int64($0.path.utf8.count) }, "everything, with stats")
    }

    @Sendable static func moveRenames(_ driver: any StorageDriver) async throws {
        try await put(driver, "from/here", "payload")
        try await put(driver, "to/there", "old")
        try await Task.sleep(for: .milliseconds(20))
        let before = Date()
        try await driver.move("from/here", to: "to/there")
        try expect(try await driver.stat("from/here") == nil, "the source is gone")
        try expect(try await text(driver, "to/there") == "payload", "the target holds the source's bytes")
        try expect((try await driver.stat("to/there")?.modified ?? .distantPast) >= before.addingTimeInterval(-1), "a move refreshes the time")
        do {
            try await driver.move("from/here", to: "elsewhere")
            throw ContractViolation("moving a missing object must fail")
        } catch StorageError.notFound {}
    }

    @Sendable static func missingAndInvalidAreRefused(_ driver: any StorageDriver) async throws {
        do {
            _ = try await driver.read("missing", range: nil)
            throw ContractViolation("reading a missing object must fail")
        } catch StorageError.notFound {}
        for path in ["", "/absolute", "a/../b", "a//b", "trailing/"] {
            do {
                _ = try await driver.writer(to: path)
                throw ContractViolation("the path \(path) must be refused")
            } catch StorageError.invalidPath {}
        }
    }

    @Sendable static func largeObjectsStream(_ driver: any StorageDriver) async throws {
        let size = 3 * 1024 * 1024 + 17
        var pattern = ByteBuffer()
        for index in 0..<size { pattern.writeInteger(UInt8(truncatingIfNeeded: index * 31)) }
        let writer = try await driver.writer(to: "large")
        var rest = pattern
        while rest.readableBytes > 0 { try await writer.write(rest.readSlice(length: min(rest.readableBytes, 65_536))!) }
        try await writer.commit()
        var buffers = 0
        var read = ByteBuffer()
        for try await var buffer in try await driver.read("large", range: nil) {
            buffers += 1
            read.writeBuffer(&buffer)
        }
        try expect(read == pattern, "the bytes read are the bytes written")
        try expect(buffers > 1, "a large object is streamed, not read whole")
        let tail = try await driver.read("large", range: Int64(size - 10)...Int64(size - 1))
        var tailBytes = ByteBuffer()
        for try await var buffer in tail { tailBytes.writeBuffer(&buffer) }
        try expect(tailBytes == pattern.getSlice(at: size - 10, length: 10), "a range at the end")
    }

    @Sendable static func emptyObjectsExist(_ driver: any StorageDriver) async throws {
        let writer = try await driver.writer(to: "empty")
        try await writer.commit()
        try expect(try await driver.stat("empty")?.size == 0, "an empty object has size 0")
        try expect(try await text(driver, "empty").isEmpty, "and reads as nothing")
    }

    @Sendable static func composeJoins(_ driver: any StorageDriver) async throws {
        try await put(driver, "parts/a", "first, ")
        try await put(driver, "parts/b", "second, ")
        let empty = try await driver.writer(to: "parts/c")
        try await empty.commit()
        try await put(driver, "parts/d", "third")
        try await driver.compose(["parts/a", "parts/b", "parts/c", "parts/d"], into: "joined/object")
        try expect(try await text(driver, "joined/object") == "first, second, third", "the parts in order")
        try expect(try await driver.stat("parts/a") != nil, "the sources stay")
        try await driver.compose([], into: "joined/nothing")
        try expect(try await driver.stat("joined/nothing")?.size == 0, "composing nothing makes an empty object")
        do {
            try await driver.compose(["parts/a", "parts/missing"], into: "joined/broken")
            throw ContractViolation("composing a missing object must fail")
        } catch StorageError.notFound {}
        try expect(try await driver.stat("joined/broken") == nil, "a failed compose leaves nothing")
    }

    @Sendable static func contentsUpToLimit(_ driver: any StorageDriver) async throws {
        try await put(driver, "small/config", "{\"os\":\"linux\"}")
        try expect(try await driver.contents(of: "small/config", upTo: 14) == Data("{\"os\":\"linux\"}".utf8), "the whole object at its size")
        try expect(try await driver.contents(of: "small/config", upTo: 13) == nil, "nil when larger than the limit")
        try expect(try await driver.contents(of: "small/missing", upTo: 100) == nil, "nil when missing")
        let empty = try await driver.writer(to: "small/empty")
        try await empty.commit()
        try expect(try await driver.contents(of: "small/empty", upTo: 0) == Data(), "an empty object is empty data")
        do {
            _ = try await driver.contents(of: "../escape", upTo: 100)
            throw ContractViolation("an invalid path must be refused")
        } catch StorageError.invalidPath {}
    }
}
