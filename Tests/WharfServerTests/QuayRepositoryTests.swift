import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import WharfOCI
import XCTest

/// `POST /repository`, `PUT`/`DELETE /repository/{repository}`, `changevisibility` and `changestate`.
final class QuayRepositoryTests: XCTestCase {
    /// Asserts a response's status (usable with `try await` in the argument, unlike `XCTAssertEqual`).
    static func expect(_ response: TestResponse, _ status: HTTPResponse.Status, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(response.status, status, response.text, file: file, line: line)
    }

    func testCreateRepository() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            let bob = try await server.user("bob")
            let carol = try await server.user("carol")
            try await server.run { client in
                let aliceAPI = try await server.quay(client, as: alice)
                let created = try await aliceAPI.post("/api/v1/repository", ["repository": "app", "visibility": "private", "description": "An app"])
                XCTAssertEqual(created.status, .created, created.text)
                XCTAssertEqual(created.json["namespace"] as? String, "alice")
                XCTAssertEqual(created.json["name"] as? String, "app")
                XCTAssertEqual(created.json["kind"] as? String, "image")
                let pushed = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("alice/app", tag: "v1")
                XCTAssertFalse(pushed.isEmpty)

                let again = try await aliceAPI.post("/api/v1/repository", ["repository": "app", "visibility": "private", "description": ""])
                again.assertAPIError(400, "invalid_request")
                XCTAssertEqual(again.json["error_message"] as? String, "Repository already exists")
                try await aliceAPI.post("/api/v1/repository", ["repository": "Bad Name", "visibility": "private", "description": ""])
                    .assertAPIError(400, "invalid_request")
                try await aliceAPI.post("/api/v1/repository", ["repository": "x", "visibility": "secret", "description": ""])
                    .assertAPIError(400, "invalid_request")
                try await aliceAPI.post("/api/v1/repository", ["repository": "x", "visibility": "private", "description": "", "repo_kind": "application"])
                    .assertAPIError(400, "invalid_request")
                try await aliceAPI.post("/api/v1/repository", ["visibility": "private"]).assertAPIError(400, "invalid_request")

                // Someone else's namespace, a missing one, anonymous callers, and scopes without repo:create.
                try await aliceAPI.post("/api/v1/repository", ["namespace": "bob", "repository": "x", "visibility": "private", "description": ""])
                    .assertAPIError(403, "insufficient_scope")
                try await aliceAPI.post("/api/v1/repository", ["namespace": "ghost", "repository": "x", "visibility": "private", "description": ""])
                    .assertAPIError(403, "insufficient_scope")
                try await QuayClient(client: client, token: nil).post("/api/v1/repository", ["repository": "x", "visibility": "private", "description": ""])
                    .assertAPIError(401, "invalid_token")
                let writer = try await server.quay(client, as: alice, scopes: [.repoRead, .repoWrite])
                try await writer.post("/api/v1/repository", ["repository": "y", "visibility": "private", "description": ""])
                    .assertAPIError(403, "insufficient_scope")

                // In an organization: creators may, members may not; the prototypes apply.
                Self.expect(try await aliceAPI.post("/api/v1/organization/", ["name": "acme"]), .created)
                Self.expect(try await aliceAPI.put("/api/v1/organization/acme/team/makers", ["role": "creator"]), .ok)
                Self.expect(try await aliceAPI.put("/api/v1/organization/acme/team/makers/members/bob"), .ok)
                Self.expect(try await aliceAPI.put("/api/v1/organization/acme/team/readers", ["role": "member"]), .ok)
                Self.expect(try await aliceAPI.put("/api/v1/organization/acme/team/readers/members/carol"), .ok)
                Self.expect(try await aliceAPI.post("/api/v1/organization/acme/prototypes",
                                                    ["role": "read", "delegate": ["name": "readers", "kind": "team"]]), .ok)
                let bobAPI = try await server.quay(client, as: bob)
                let inOrg = try await bobAPI.post("/api/v1/repository", ["namespace": "acme", "repository": "svc", "visibility": "private", "description": ""])
                XCTAssertEqual(inOrg.status, .created, inOrg.text)
                let teams = try await aliceAPI.get("/api/v1/repository/acme/svc/permissions/team/")
                XCTAssertEqual(((teams.json["permissions"] as? [String: Any])?["readers"] as? [String: Any])?["role"] as? String, "read", teams.text)
                let carolAPI = try await server.quay(client, as: carol)
                try await carolAPI.post("/api/v1/repository", ["namespace": "acme", "repository": "nope", "visibility": "private", "description": ""])
                    .assertAPIError(403, "insufficient_scope")

                let logged = try await server.server.store.logEntries(accountID: alice.id, limit: 50)
                XCTAssertTrue(logged.contains { $0.kind == "create_repo" && $0.performerId == alice.id && $0.ip != nil })
            }
        }
    }

    func testDescriptionVisibilityStateAndDelete() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            let bob = try await server.user("bob")
            try await server.run { client in
                let aliceAPI = try await server.quay(client, as: alice)
                let calls = RegistryCalls(client: client, auth: Auth.alice)
                _ = try await calls.pushImage("alice/app", tag: "v1")
                Self.expect(try await aliceAPI.put("/api/v1/repository/alice/app/permissions/user/bob", ["role": "write"]), .ok)
                let bobAPI = try await server.quay(client, as: bob)

                let described = try await bobAPI.put("/api/v1/repository/alice/app", ["description": "Now described"])
                XCTAssertEqual(described.status, .ok, described.text)
                XCTAssertEqual(described.json["success"] as? Bool, true)
                try await QuayClient(client: client, token: nil).put("/api/v1/repository/alice/app", ["description": "x"])
                    .assertAPIError(401, "invalid_token")

                // Visibility: admins only; public repositories are pulled anonymously.
                try await bobAPI.post("/api/v1/repository/alice/app/changevisibility", ["visibility": "public"]).assertAPIError(403, "insufficient_scope")
                let anonymousBefore = try await client.execute(uri: "/v2/alice/app/tags/list", method: .get)
                XCTAssertEqual(anonymousBefore.status, .unauthorized)
                let madePublic = try await aliceAPI.post("/api/v1/repository/alice/app/changevisibility", ["visibility": "public"])
                XCTAssertEqual(madePublic.json["success"] as? Bool, true, madePublic.text)
                let anonymousAfter = try await client.execute(uri: "/v2/alice/app/tags/list", method: .get)
                XCTAssertEqual(anonymousAfter.status, .ok, anonymousAfter.text)
                try await aliceAPI.post("/api/v1/repository/alice/app/changevisibility", ["visibility": "open"]).assertAPIError(400, "invalid_request")
                Self.expect(try await aliceAPI.post("/api/v1/repository/alice/app/changevisibility", ["visibility": "private"]), .ok)
                Self.expect(try await client.execute(uri: "/v2/alice/app/tags/list", method: .get), .unauthorized)

                // State: a read-only repository refuses pushes and still serves pulls.
                let readOnly = try await aliceAPI.put("/api/v1/repository/alice/app/changestate", ["state": "READ_ONLY"])
                XCTAssertEqual(readOnly.json["success"] as? Bool, true, readOnly.text)
                let refusedPush = try await client.execute(uri: "/v2/alice/app/blobs/uploads/", method: .post, headers: Auth.alice)
                XCTAssertEqual(refusedPush.status, .unauthorized, refusedPush.text)
                Self.expect(try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .get, headers: Auth.alice), .ok)
                let badState = try await aliceAPI.put("/api/v1/repository/alice/app/changestate", ["state": "FROZEN"])
                XCTAssertEqual(badState.status, .badRequest)
                XCTAssertNotNil(badState.json["detail"] as? String, badState.text)
                try await bobAPI.put("/api/v1/repository/alice/app/changestate", ["state": "NORMAL"]).assertAPIError(403, "insufficient_scope")
                Self.expect(try await aliceAPI.put("/api/v1/repository/alice/app/changestate", ["state": "NORMAL"]), .ok)
                Self.expect(try await client.execute(uri: "/v2/alice/app/blobs/uploads/", method: .post, headers: Auth.alice), .accepted)

                // Not served yet: a clear 501, and the more specific routes are not swallowed by `{repository}`.
                let notifications = try await aliceAPI.get("/api/v1/repository/alice/app/notification/")
                XCTAssertEqual(notifications.status, .notImplemented, notifications.text)
                XCTAssertEqual(notifications.json["message"] as? String, "GET /api/v1/repository/alice/app/notification/ is not supported by Wharf yet")
                Self.expect(try await aliceAPI.get("/api/v1/repository/alice/app/permissions/user/"), .ok)

                // Delete: admins only; the repository is gone from the registry; deleting again is harmless.
                try await bobAPI.delete("/api/v1/repository/alice/app").assertAPIError(403, "insufficient_scope")
                let deleted = try await aliceAPI.delete("/api/v1/repository/alice/app")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                let pull = try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .get, headers: Auth.alice)
                XCTAssertEqual(pull.errorCode, "NAME_UNKNOWN", pull.text)
                Self.expect(try await aliceAPI.delete("/api/v1/repository/alice/app"), .noContent)
                try await bobAPI.delete("/api/v1/repository/alice/app").assertAPIError(403, "insufficient_scope")

                let kinds = Set(try await server.server.store.logEntries(accountID: alice.id, limit: 100).map(\.kind))
                XCTAssertTrue(kinds.isSuperset(of: ["set_repo_description", "change_repo_visibility", "change_repo_state", "delete_repo"]), "\(kinds)")
            }
        }
    }

    /// `GET /repository/{repository}`: Quay's view with tags, permissions-derived flags and daily statistics.
    func testRepositoryView() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            let bob = try await server.user("bob")
            try await server.run { client in
                let aliceAPI = try await server.quay(client, as: alice)
                let calls = RegistryCalls(client: client, auth: Auth.alice)
                let manifest = try await calls.pushImage("alice/app", tag: "v1")
                for _ in 0..<2 {
                    Self.expect(try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .get, headers: Auth.alice), .ok)
                }
                Self.expect(try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .head, headers: Auth.alice), .ok)
                Self.expect(try await aliceAPI.put("/api/v1/repository/alice/app", ["description": "The app"]), .ok)
                Self.expect(try await aliceAPI.post("/api/v1/user/starred", ["namespace": "alice", "repository": "app"]), .created)
                await server.server.deliverer.flush()

                let view = try await aliceAPI.get("/api/v1/repository/alice/app?includeStats=true")
                XCTAssertEqual(view.status, .ok, view.text)
                XCTAssertEqual(view.json["namespace"] as? String, "alice")
                XCTAssertEqual(view.json["name"] as? String, "app")
                XCTAssertEqual(view.json["kind"] as? String, "image")
                XCTAssertEqual(view.json["description"] as? String, "The app")
                XCTAssertEqual(view.json["is_public"] as? Bool, false)
                XCTAssertEqual(view.json["is_organization"] as? Bool, false)
                XCTAssertEqual(view.json["is_starred"] as? Bool, true)
                XCTAssertEqual(view.json["state"] as? String, "NORMAL")
                XCTAssertEqual(view.json["can_write"] as? Bool, true)
                XCTAssertEqual(view.json["can_admin"] as? Bool, true)
                XCTAssertEqual(view.json["tag_expiration_s"] as? Int, 1_209_600)
                let tag = try XCTUnwrap((view.json["tags"] as? [String: Any])?["v1"] as? [String: Any], view.text)
                XCTAssertEqual(tag["name"] as? String, "v1")
                XCTAssertEqual(tag["manifest_digest"] as? String, Digest.of(manifest).description)
                XCTAssertNotNil(tag["last_modified"] as? String)
                XCTAssertNil(tag["expiration"])
                let stats = try XCTUnwrap(view.json["stats"] as? [[String: Any]])
                XCTAssertEqual(stats.count, 92)
                XCTAssertEqual(stats.last?["date"] as? String, RepositoryActivity.day(Date()))
                XCTAssertEqual(stats.last?["count"] as? Int, 3, "one push and two pulls today (HEAD is not a pull)")
                XCTAssertEqual(stats.dropLast().compactMap { $0["count"] as? Int }.reduce(0, +), 0)

                let withoutTags = try await aliceAPI.get("/api/v1/repository/alice/app?includeTags=false")
                XCTAssertNil(withoutTags.json["tags"])
                XCTAssertNil(withoutTags.json["stats"])

                // A writer may write but not administer; a read-only repository is not writable; others are refused.
                Self.expect(try await aliceAPI.put("/api/v1/repository/alice/app/permissions/user/bob", ["role": "write"]), .ok)
                let bobView = try await server.quay(client, as: bob).get("/api/v1/repository/alice/app")
                XCTAssertEqual(bobView.json["can_write"] as? Bool, true, bobView.text)
                XCTAssertEqual(bobView.json["can_admin"] as? Bool, false)
                XCTAssertEqual(bobView.json["is_starred"] as? Bool, false)
                Self.expect(try await aliceAPI.put("/api/v1/repository/alice/app/changestate", ["state": "READ_ONLY"]), .ok)
                let readOnly = try await aliceAPI.get("/api/v1/repository/alice/app")
                XCTAssertEqual(readOnly.json["state"] as? String, "READ_ONLY")
                XCTAssertEqual(readOnly.json["can_write"] as? Bool, false)
                try await QuayClient(client: client, token: nil).get("/api/v1/repository/alice/app").assertAPIError(401, "invalid_token")
                Self.expect(try await aliceAPI.post("/api/v1/repository/alice/app/changevisibility", ["visibility": "public"]), .ok)
                let anonymousView = try await QuayClient(client: client, token: nil).get("/api/v1/repository/alice/app")
                XCTAssertEqual(anonymousView.status, .ok, anonymousView.text)
                XCTAssertEqual(anonymousView.json["can_write"] as? Bool, false)
                XCTAssertEqual(anonymousView.json["is_public"] as? Bool, true)
                try await aliceAPI.get("/api/v1/repository/alice/ghost").assertAPIError(404, "not_found")
            }
        }
    }

    /// `GET /repository`: what each caller sees, the optional fields, and pages of 100 walked to the end.
    func testRepositoryList() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            let bob = try await server.user("bob")
            try await server.run { client in
                let store = server.server.store
                let aliceAPI = try await server.quay(client, as: alice)
                let bobAPI = try await server.quay(client, as: bob)
                let anonymous = QuayClient(client: client, token: nil)
                _ = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("alice/app", tag: "v1")
                _ = try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .get, headers: Auth.alice)
                await server.server.deliverer.flush()
                Self.expect(try await aliceAPI.post("/api/v1/repository", ["repository": "open", "visibility": "public", "description": "o"]), .created)
                Self.expect(try await aliceAPI.post("/api/v1/repository", ["repository": "shared", "visibility": "private", "description": ""]), .created)
                Self.expect(try await aliceAPI.put("/api/v1/repository/alice/shared/permissions/user/bob", ["role": "read"]), .ok)
                Self.expect(try await aliceAPI.post("/api/v1/user/starred", ["namespace": "alice", "repository": "open"]), .created)

                try await aliceAPI.get("/api/v1/repository").assertAPIError(400, "invalid_request")
                try await anonymous.get("/api/v1/repository?starred=true").assertAPIError(400, "invalid_request")

                func names(_ response: TestResponse) -> [String] {
                    (response.json["repositories"] as? [[String: Any]] ?? []).compactMap { entry in
                        (entry["namespace"] as? String).map { "\($0)/\(entry["name"] as? String ?? "")" }
                    }
                }
                let own = try await aliceAPI.get("/api/v1/repository?namespace=alice&last_modified=true&popularity=true")
                XCTAssertEqual(own.status, .ok, own.text)
                XCTAssertEqual(names(own), ["alice/app", "alice/open", "alice/shared"])
                let app = try XCTUnwrap((own.json["repositories"] as? [[String: Any]])?.first)
                XCTAssertEqual(app["is_public"] as? Bool, false)
                XCTAssertEqual(app["kind"] as? String, "image")
                XCTAssertEqual(app["state"] as? String, "NORMAL")
                XCTAssertEqual(app["is_starred"] as? Bool, false)
                XCTAssertEqual(app["popularity"] as? Double, 2, "one push and one pull this week")
                let lastModified = try XCTUnwrap(app["last_modified"] as? Int)
                XCTAssertLessThanOrEqual(abs(lastModified - Int(Date().timeIntervalSince1970)), 120)
                let open = try XCTUnwrap((own.json["repositories"] as? [[String: Any]])?[1])
                XCTAssertTrue(open["last_modified"] is NSNull, "no tag yet")
                XCTAssertEqual(open["is_starred"] as? Bool, true)
                XCTAssertNil(own.json["next_page"])
                let plain = try await aliceAPI.get("/api/v1/repository?namespace=alice")
                XCTAssertNil((plain.json["repositories"] as? [[String: Any]])?.first?["popularity"])
                XCTAssertNil((plain.json["repositories"] as? [[String: Any]])?.first?["last_modified"])

                let listed1 = try await bobAPI.get("/api/v1/repository?namespace=alice")

                XCTAssertEqual(names(listed1), ["alice/shared"])
                let listed2 = try await bobAPI.get("/api/v1/repository?namespace=alice&public=true")
                XCTAssertEqual(names(listed2), ["alice/open", "alice/shared"])
                let listed3 = try await anonymous.get("/api/v1/repository?namespace=alice")
                XCTAssertEqual(names(listed3), [], "anonymous callers see public ones only with public=true")
                let listed4 = try await anonymous.get("/api/v1/repository?public=true")
                XCTAssertEqual(names(listed4), ["alice/open"])
                let listed5 = try await aliceAPI.get("/api/v1/repository?starred=true")
                XCTAssertEqual(names(listed5), ["alice/open"])
                // A public repository starred by someone without any role on it is in their starred list, as in Quay.
                Self.expect(try await bobAPI.post("/api/v1/user/starred", ["namespace": "alice", "repository": "open"]), .created)
                let bobsStars = try await bobAPI.get("/api/v1/repository?starred=true")
                XCTAssertEqual(names(bobsStars), ["alice/open"])
                Self.expect(try await aliceAPI.post("/api/v1/repository/alice/open/changevisibility", ["visibility": "private"]), .ok)
                let hidden = try await bobAPI.get("/api/v1/repository?starred=true")
                XCTAssertEqual(names(hidden), [], "unless it is private now")
                Self.expect(try await aliceAPI.post("/api/v1/repository/alice/open/changevisibility", ["visibility": "public"]), .ok)
                let userRead = try await server.quay(client, as: alice, scopes: [.userRead])
                let listed6 = try await userRead.get("/api/v1/repository?namespace=alice")
                XCTAssertEqual(names(listed6), [], "without repo:read only public ones")
                let listed7 = try await aliceAPI.get("/api/v1/repository?namespace=ghost")
                XCTAssertEqual(names(listed7), [])

                // 205 more repositories: pages of 100, then 100, then 8, with next_page tokens between them.
                for index in 0..<205 {
                    _ = try await store.createRepository(namespaceID: alice.id, name: String(format: "bulk%03d", index), visibility: .private,
                                                         creatorID: alice.id)
                }
                var seen: [String] = []
                var pages: [Int] = []
                var next: String?
                repeat {
                    let query = "/api/v1/repository?namespace=alice" + (next.map { "&next_page=\($0)" } ?? "")
                    let page = try await aliceAPI.get(query)
                    XCTAssertEqual(page.status, .ok, page.text)
                    pages.append(names(page).count)
                    seen += names(page)
                    next = page.json["next_page"] as? String
                } while next != nil && pages.count < 10
                XCTAssertEqual(pages, [100, 100, 8])
                XCTAssertEqual(Set(seen).count, 208)
                let garbage = try await aliceAPI.get("/api/v1/repository?namespace=alice&next_page=not-a-token")
                XCTAssertEqual(names(garbage).first, "alice/app", "an unreadable token means the first page")
            }
        }
    }
}
