import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// `POST /api/v1/signin`, `POST /api/v1/signout`, `GET /csrf_token` and the CSRF rule for session writes.
final class QuaySessionTests: XCTestCase {

    func testSignInGivesACookieSessionWithCSRFProtectedWrites() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let signIn = try await client.execute(uri: "/api/v1/signin", method: .post, headers: [.contentType: "application/json"],
                                                      body: ByteBuffer(string: #"{"username":"alice","password":"password1"}"#))
                XCTAssertEqual(signIn.status, .ok, signIn.text)
                XCTAssertEqual(signIn.json["success"] as? Bool, true)
                let setCookie = try XCTUnwrap(signIn.header("Set-Cookie"))
                XCTAssertTrue(setCookie.hasPrefix("_csrf_token="), setCookie)
                XCTAssertTrue(setCookie.contains("HttpOnly"), setCookie)
                XCTAssertTrue(setCookie.contains("Path=/"), setCookie)
                let csrf = try XCTUnwrap(signIn.header("X-Next-CSRF-Token"))
                XCTAssertFalse(csrf.isEmpty)
                let session = SignedInSession(client: client, cookieValue: try XCTUnwrap(SignedInSession.cookieValue(setCookie)), csrfToken: csrf)

                let me = try await session.get("/api/v1/user/")
                XCTAssertEqual(me.status, .ok, me.text)
                XCTAssertEqual(me.json["username"] as? String, "alice")
                XCTAssertEqual(me.json["is_me"] as? Bool, true, "a session is a direct login with full user rights")

                let noToken = try await session.call(.post, "/api/v1/organization/", json: ["name": "acme"])
                XCTAssertEqual(noToken.status, .forbidden, noToken.text)
                XCTAssertEqual(noToken.json as NSDictionary, ["message": "CSRF token was invalid or missing."] as NSDictionary)
                let refusedOrganization = try await server.server.store.account(named: "acme")
                XCTAssertNil(refusedOrganization, "a refused write changes nothing")

                let wrongToken = try await session.call(.post, "/api/v1/organization/", json: ["name": "acme"],
                                                        headers: [HTTPField.Name("X-CSRF-Token")!: String(csrf.reversed())])
                XCTAssertEqual(wrongToken.status, .forbidden)
                XCTAssertEqual(wrongToken.json["message"] as? String, "CSRF token was invalid or missing.")

                let created = try await session.call(.post, "/api/v1/organization/", json: ["name": "acme"], csrf: true)
                XCTAssertEqual(created.status, .created, created.text)
                let viaQuery = try await session.call(.post, "/api/v1/organization/?_csrf_token=\(FormEncoding.escape(csrf))",
                                                      json: ["name": "acme2"])
                XCTAssertEqual(viaQuery.status, .created, "the token may also come as the _csrf_token parameter: \(viaQuery.text)")

                let fetched = try await session.get("/csrf_token")
                XCTAssertEqual(fetched.status, .ok, fetched.text)
                XCTAssertEqual(fetched.json["csrf_token"] as? String, csrf)

                let signOut = try await session.call(.post, "/api/v1/signout", csrf: true)
                XCTAssertEqual(signOut.status, .ok, signOut.text)
                XCTAssertEqual(signOut.json["success"] as? Bool, true)
                XCTAssertTrue(signOut.header("Set-Cookie")?.contains("Max-Age=0") == true, signOut.header("Set-Cookie") ?? "no Set-Cookie")

                let afterSignOut = try await session.get("/api/v1/user/")
                afterSignOut.assertAPIError(401, "invalid_token")
                let csrfAfter = try await session.get("/csrf_token")
                XCTAssertEqual(csrfAfter.status, .unauthorized)
                let writeAfter = try await session.call(.post, "/api/v1/organization/", json: ["name": "acme3"], csrf: true)
                writeAfter.assertAPIError(401, "invalid_token")
            }
        }
    }

    func testWrongPasswordIsRefused() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            _ = try await server.server.store.createOrganization(name: "acme", email: nil, creatorID: alice.id)
            try await server.run { client in
                for body in [#"{"username":"alice","password":"wrong-password"}"#, #"{"username":"nobody","password":"password1"}"#] {
                    let refused = try await client.execute(uri: "/api/v1/signin", method: .post, headers: [.contentType: "application/json"],
                                                           body: ByteBuffer(string: body))
                    XCTAssertEqual(refused.status, .forbidden, refused.text)
                    XCTAssertEqual(refused.json["invalidCredentials"] as? Bool, true)
                    XCTAssertEqual(refused.json["needsEmailVerification"] as? Bool, false)
                    XCTAssertNotNil(refused.json["message"] as? String)
                    XCTAssertNil(refused.header("Set-Cookie"), "no session for wrong credentials")
                    XCTAssertNil(refused.header("X-Next-CSRF-Token"))
                }
                let asOrganization = try await client.execute(uri: "/api/v1/signin", method: .post, headers: [.contentType: "application/json"],
                                                              body: ByteBuffer(string: #"{"username":"acme","password":"password1"}"#))
                XCTAssertEqual(asOrganization.status, .forbidden, "organizations cannot sign in")
            }
        }
    }

    func testBasicCredentialsAndForgedCookiesAreAnonymousOnTheAPI() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let basic = try await client.execute(uri: "/api/v1/user/", method: .get, headers: Auth.alice)
                basic.assertAPIError(401, "invalid_token")
                let basicWrite = try await client.execute(uri: "/api/v1/organization/", method: .post,
                                                          headers: Auth.alice.adding("Content-Type", "application/json"),
                                                          body: ByteBuffer(string: #"{"name":"acme"}"#))
                basicWrite.assertAPIError(401, "invalid_token")

                let session = try await SignedInSession.signIn(client, "alice")
                let forged = SignedInSession(client: client, cookieValue: String(session.cookieValue.dropLast()) + "A", csrfToken: session.csrfToken)
                try await forged.get("/api/v1/user/").assertAPIError(401, "invalid_token")
                let garbage = SignedInSession(client: client, cookieValue: "garbage", csrfToken: "x")
                try await garbage.get("/api/v1/user/").assertAPIError(401, "invalid_token")

                let bearer = try await server.quay(client, as: alice)
                let created = try await bearer.post("/api/v1/organization/", ["name": "acme"])
                XCTAssertEqual(created.status, .created, "bearer-token calls need no CSRF token: \(created.text)")

                let second = try await SignedInSession.signIn(client, "alice")
                XCTAssertNotEqual(second.cookieValue, session.cookieValue, "each sign-in opens its own session")
                XCTAssertNotEqual(second.csrfToken, session.csrfToken)
                let crossed = try await second.call(.post, "/api/v1/organization/", json: ["name": "acme2"],
                                                    headers: [HTTPField.Name("X-CSRF-Token")!: session.csrfToken])
                XCTAssertEqual(crossed.status, .forbidden, "another session's CSRF token does not count")
            }
        }
    }
}
