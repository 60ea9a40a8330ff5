import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import XCTest

/// Global messages (`/messages`, `/message/{uuid}`) and error descriptions (`/error/{error_type}`).
final class QuayMessageAndErrorTests: XCTestCase {
    func testSuperusersWriteMessagesEveryoneReadsThem() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let admin = try await server.user("admin")
            let alice = try await server.user("alice")
            try await server.run { client in
                let anonymous = QuayClient(client: client, token: nil)
                let superuser = try await server.quay(client, as: admin)
                let empty = try await anonymous.get("/api/v1/messages")
                XCTAssertEqual(empty.status, .ok, empty.text)
                XCTAssertEqual((empty.json["messages"] as? [Any])?.count, 0)

                let message: [String: Any] = ["message": ["content": "Maintenance at **noon**", "media_type": "text/markdown", "severity": "warning"]]
                let created = try await superuser.post("/api/v1/messages", message)
                XCTAssertEqual(created.status, .created, created.text)
                let listed = try await anonymous.get("/api/v1/messages")
                let messages = listed.json["messages"] as? [[String: Any]] ?? []
                XCTAssertEqual(messages.count, 1, listed.text)
                XCTAssertEqual(messages.first?["content"] as? String, "Maintenance at **noon**")
                XCTAssertEqual(messages.first?["media_type"] as? String, "text/markdown")
                XCTAssertEqual(messages.first?["severity"] as? String, "warning")
                let uuid = try XCTUnwrap(messages.first?["uuid"] as? String)

                let badSeverity = try await superuser.post("/api/v1/messages",
                                                           ["message": ["content": "x", "media_type": "text/plain", "severity": "panic"]])
                badSeverity.assertAPIError(400, "invalid_request")
                let badType = try await superuser.post("/api/v1/messages",
                                                       ["message": ["content": "x", "media_type": "text/html", "severity": "info"]])
                badType.assertAPIError(400, "invalid_request")
                let missing = try await superuser.post("/api/v1/messages", ["content": "x"])
                missing.assertAPIError(400, "invalid_request")

                // Quay answers Flask's 403 to everyone else, anonymous callers included.
                let plain = try await server.quay(client, as: alice)
                try await plain.post("/api/v1/messages", message).assertMessage(403)
                try await anonymous.post("/api/v1/messages", message).assertMessage(403)
                let unscoped = try await server.quay(client, as: admin, scopes: [.repoRead, .userAdmin])
                try await unscoped.post("/api/v1/messages", message).assertMessage(403)
                try await plain.delete("/api/v1/message/\(uuid)").assertMessage(403)
                let stillThere = try await anonymous.get("/api/v1/messages")
                XCTAssertEqual((stillThere.json["messages"] as? [Any])?.count, 1)

                let deleted = try await superuser.delete("/api/v1/message/\(uuid)")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                let gone = try await anonymous.get("/api/v1/messages")
                XCTAssertEqual((gone.json["messages"] as? [Any])?.count, 0)
            }
        }
    }

    func testErrorTypesAreDescribedAtTheirTypeURL() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let anonymous = QuayClient(client: client, token: nil)
                let described = try await anonymous.get("/api/v1/error/not_found")
                XCTAssertEqual(described.status, .ok, described.text)
                XCTAssertEqual(described.json["title"] as? String, "not_found")
                XCTAssertEqual(described.json["description"] as? String, "The resource was not found.")

                // The `type` URL of an ApiError names this endpoint.
                let refused = try await anonymous.get("/api/v1/user/")
                let type = try XCTUnwrap(refused.json["type"] as? String)
                XCTAssertEqual(described.json["type"] as? String,
                               type.replacingOccurrences(of: "invalid_token", with: "not_found"))
                let path = try XCTUnwrap(URL(string: type)?.path)
                let viaType = try await anonymous.get(path)
                XCTAssertEqual(viaType.json["title"] as? String, "invalid_token", viaType.text)
                XCTAssertEqual(viaType.json["description"] as? String, "The access token provided was invalid.")

                try await anonymous.get("/api/v1/error/no_such_error").assertAPIError(404, "not_found")
            }
        }
    }
}
