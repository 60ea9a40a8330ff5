import Foundation
import Logging
import WharfFaults
import XCTest
@testable import WharfMetadata

/// A database out of reach is a `ServiceFault` (every API answers 503), not an unknown error.
final class DatabaseFaultTests: XCTestCase {
    /// A loopback port nothing listens on.
    private func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        XCTAssertTrue(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func testAnUnreachablePostgreSQLIsUnavailable() async throws {
        let port = try closedPort()
        let pool = try await DatabasePool.open(uri: "postgresql://wharf@127.0.0.1:\(port)/wharf", defaultSQLitePath: "",
                                               logger: Logger(label: "test"))
        do {
            _ = try await pool.withDatabase { db in try await db.raw("SELECT 1").all() }
            XCTFail("a query reached a database that is not there")
        } catch let fault as ServiceFault {
            XCTAssertEqual(fault.kind, .unavailable)
            XCTAssertEqual(fault.status, 503)
            XCTAssertEqual(fault.retryAfterSeconds, 5)
            XCTAssertTrue(fault.reason.contains("127.0.0.1"), fault.reason)
        }
        try await pool.shutdown()
    }

    func testOpeningTheStoreFailsWithTheFaultAndClosesItsPool() async throws {
        let port = try closedPort()
        do {
            _ = try await MetadataStore.open(uri: "postgresql://wharf@127.0.0.1:\(port)/wharf", defaultSQLitePath: "", logger: Logger(label: "test"))
            XCTFail("the store opened without a database")
        } catch let fault as ServiceFault {
            XCTAssertEqual(fault.kind, .unavailable)
        }
    }
}
