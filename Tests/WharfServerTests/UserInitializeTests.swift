import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import XCTest

/// `POST /api/v1/user/initialize` and the token it returns.
final class UserInitializeTests: XCTestCase {
    func testFirstUserAndItsTokenWorkForTheRegistry() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let body = ByteBuffer(string: #"{"username":"quayadmin","password":"password123","email":"q@example.com","access_token":true}"#)
                let created = try await client.execute(uri: "/api/v1/user/initialize", method: .post,
                                                       headers: [.contentType: "application/json"], body: body)
                XCTAssertEqual(created.status, .ok, created.text)
                XCTAssertEqual(created.json["username"] as? String, "quayadmin")
                XCTAssertEqual(created.json["email"] as? String, "q@example.com")
                let token = try XCTUnwrap(created.json["access_token"] as? String)
                XCTAssertEqual(token.count, 40)

                let second = try await client.execute(uri: "/api/v1/user/initialize", method: .post,
                                                      headers: [.contentType: "application/json"], body: body)
                XCTAssertEqual(second.status, .badRequest)
                XCTAssertEqual(second.json["message"] as? String, "Cannot initialize user in a non-empty database")

                let viaToken = HTTPFields.basic("$oauthtoken", token)
                let calls = RegistryCalls(client: client, auth: viaToken)
                _ = try await calls.pushImage("quayadmin/app", tag: "v1")
                let password = try await client.execute(uri: "/v2/quayadmin/app/tags/list", method: .get,
                                                        headers: .basic("quayadmin", "password123"))
                XCTAssertEqual(password.json["tags"] as? [String], ["v1"])
                let wrongToken = try await client.execute(uri: "/v2/", method: .get,
                                                          headers: .basic("$oauthtoken", String(token.reversed())))
                XCTAssertEqual(wrongToken.status, .unauthorized)
            }
        }
    }

    func testInvalidBodiesAreRefusedInQuayShape() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let shortPassword = try await client.execute(uri: "/api/v1/user/initialize", method: .post,
                                                             body: ByteBuffer(string: #"{"username":"admin","password":"short"}"#))
                XCTAssertEqual(shortPassword.status, .badRequest)
                XCTAssertEqual(shortPassword.json["error_type"] as? String, "invalid_request")
                XCTAssertEqual(shortPassword.json["status"] as? Int, 400)
                let badName = try await client.execute(uri: "/api/v1/user/initialize", method: .post,
                                                       body: ByteBuffer(string: #"{"username":"Bad Name","password":"password123"}"#))
                XCTAssertEqual(badName.json["error_type"] as? String, "invalid_request")
                let unknown = try await client.execute(uri: "/api/v1/nothing/here", method: .get)
                XCTAssertEqual(unknown.status, .notImplemented)
                XCTAssertEqual(unknown.json["message"] as? String, "GET /api/v1/nothing/here is not supported by Wharf yet")
                let wrongMethod = try await client.execute(uri: "/api/v1/user/initialize", method: .get)
                XCTAssertEqual(wrongMethod.status, .methodNotAllowed)
                // A route that ends in a slash, asked for without it: Flask's 308 to the slashed path.
                let unslashed = try await client.execute(uri: "/api/v1/user?x=1", method: .get)
                XCTAssertEqual(unslashed.status, .permanentRedirect)
                XCTAssertEqual(unslashed.header("Location"), "/api/v1/user/?x=1")
                let organization = try await client.execute(uri: "/api/v1/organization", method: .post)
                XCTAssertEqual(organization.status, .permanentRedirect)
                XCTAssertEqual(organization.header("Location"), "/api/v1/organization/")
            }
        }
    }
}
