import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import XCTest

/// Password guessing is slowed down: after five failures in a row, each further try must wait
/// (1 s, then 2 s, 4 s, …), on the API's sign-in and on the registry alike; a success resets the count.
final class LoginThrottleTests: XCTestCase {
    func testRepeatedWrongPasswordsAreThrottledEverywhere() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                func signIn(_ password: String) async throws -> TestResponse {
                    try await client.execute(uri: "/api/v1/signin", method: .post, headers: [.contentType: "application/json"],
                                             body: ByteBuffer(string: #"{"username":"alice","password":"\#(password)"}"#))
                }
                for attempt in 1...5 {
                    let wrong = try await signIn("wrong-\(attempt)")
                    XCTAssertEqual(wrong.status, .forbidden, "attempt \(attempt): \(wrong.text)")
                }
                let throttled = try await signIn("password1")
                XCTAssertEqual(throttled.status, .tooManyRequests, throttled.text)
                XCTAssertEqual(throttled.header("Retry-After"), "1")
                XCTAssertEqual(throttled.json["message"] as? String, "Too many login attempts.")

                let service = server.configuration.effectiveServerHostname
                let registry = try await client.execute(uri: "/v2/auth?service=\(service)", method: .get, headers: Auth.alice)
                XCTAssertEqual(registry.status, .tooManyRequests, registry.text)
                XCTAssertEqual(registry.errorCode, "TOOMANYREQUESTS")
                XCTAssertNotNil(registry.header("Retry-After"))

                try await Task.sleep(for: .milliseconds(1100))
                let allowed = try await signIn("password1")
                XCTAssertEqual(allowed.status, .ok, "the wait is over: \(allowed.text)")
                let alice = try await server.server.store.account(named: "alice")
                let failures = try await server.server.store.failedLogins(accountID: try XCTUnwrap(alice).id)
                XCTAssertEqual(failures.count, 0, "a success resets the count")
            }
        }
    }

    func testSignInTakesOnlyJSON() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let form = try await client.execute(uri: "/api/v1/signin", method: .post, headers: [.contentType: "text/plain"],
                                                    body: ByteBuffer(string: #"{"username":"alice","password":"password1"}"#))
                form.assertAPIError(400, "invalid_request")
                XCTAssertNil(form.header("Set-Cookie"))
            }
        }
    }
}
