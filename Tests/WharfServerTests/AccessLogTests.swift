import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import WharfTestSupport
import XCTest

/// Every request gets one structured access-log line (method, path, status, bytes, duration, caller,
/// request id) and its request id back in `X-Request-ID`, whichever API answers it.
final class AccessLogTests: XCTestCase {
    func testEveryRequestIsLoggedOnceWithItsCallerAndRequestID() async throws {
        try await withEachDatabase { database in
            let log = CollectedLog()
            let server = try await TestServer.make(database: database, logger: log.logger())
            let alice = try await server.user("alice")
            try await server.run { client in
                let base = try await client.execute(uri: "/v2/", method: .get, headers: Auth.alice.adding("X-Request-ID", "trace-42"))
                XCTAssertEqual(base.status, .ok)
                XCTAssertEqual(base.header("X-Request-ID"), "trace-42", "a plain client request id is kept")
                let odd = try await client.execute(uri: "/v2/", method: .get, headers: Auth.alice.adding("X-Request-ID", "no spaces allowed"))
                let generated = try XCTUnwrap(odd.header("X-Request-ID"))
                XCTAssertNotEqual(generated, "no spaces allowed")
                XCTAssertNotNil(UUID(uuidString: generated), "an unusable id is replaced by a fresh one")
                XCTAssertEqual(generated, generated.lowercased())
                XCTAssertEqual(Array(generated)[14], "4", "a random (version 4) UUID")
                let again = try await client.execute(uri: "/v2/", method: .get, headers: Auth.alice)
                XCTAssertNotEqual(again.header("X-Request-ID"), generated, "every request gets its own id")

                let blob = Fixtures.blob(String(repeating: "layer bytes ", count: 10_000))
                let pushed = try await RegistryCalls(client: client, auth: Auth.alice).pushBlob("alice/app", blob)
                XCTAssertEqual(pushed, .created)
                let pulled = try await client.execute(uri: "/v2/alice/app/blobs/\(blob.digest)", method: .get, headers: Auth.alice)
                XCTAssertEqual(pulled.status, .ok)
                let quay = try await server.quay(client, as: alice)
                let user = try await quay.get("/api/v1/user/")
                XCTAssertEqual(user.status, .ok)
                let anonymous = try await client.execute(uri: "/api/v1/_ping", method: .get)
                XCTAssertEqual(anonymous.status, .ok)
            }
            let requests = log.all.filter { $0.message == "request" }
            func line(_ method: String, _ path: String) -> CollectedLog.Line? {
                requests.first { $0.metadata["method"] == method && $0.metadata["path"] == path }
            }
            let traced = requests.filter { $0.metadata["request_id"] == "trace-42" }
            XCTAssertEqual(traced.count, 1, "one line per request")
            XCTAssertEqual(traced.first?.metadata["status"], "200")
            XCTAssertEqual(traced.first?.metadata["user"], "alice")
            XCTAssertNotNil(traced.first?.metadata["duration_ms"].flatMap(Double.init))
            let blobLine = try XCTUnwrap(requests.first { $0.metadata["method"] == "GET" && $0.metadata["path"]?.contains("/blobs/sha256:") == true })
            XCTAssertEqual(blobLine.metadata["bytes"], "120000", "the bytes sent")
            XCTAssertEqual(line("GET", "/api/v1/user/")?.metadata["user"], "alice", "the Quay API names its caller")
            XCTAssertEqual(line("GET", "/api/v1/_ping")?.metadata["user"], "-", "an anonymous caller")
            XCTAssertTrue(requests.allSatisfy { $0.level == .info })
        }
    }
}
