import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// `/api/v1/superuser/users/` and `/api/v1/superuser/organizations/{name}`.
final class QuaySuperuserTests: XCTestCase {

    func testListsUsersForSuperusersOnly() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let admin = try await server.user("admin")
            let alice = try await server.user("alice")
            try await server.user("bob")
            try await server.run { client in
                let fixture = QuayOrgFixture(quay: try await server.quay(client, as: alice))
                try await fixture.createOrganization("acme")
                _ = try await fixture.createRobot("acme", "builder")

                let adminAPI = try await server.quay(client, as: admin)
                let list = try await adminAPI.get("/api/v1/superuser/users/")
                XCTAssertEqual(list.status, .ok, list.text)
                let users = try XCTUnwrap(list.json["users"] as? [[String: Any]], list.text)
                XCTAssertEqual(users.compactMap { $0["username"] as? String }, ["admin", "alice", "bob"],
                               "users only: no organizations, no robots")
                XCTAssertNil(list.json["next_page"])
                for user in users {
                    XCTAssertEqual(user["kind"] as? String, "user")
                    XCTAssertEqual(user["name"] as? String, user["username"] as? String)
                    XCTAssertEqual(user["email"] as? String, "\(user["username"] ?? "")@example.com")
                    XCTAssertEqual(user["super_user"] as? Bool, user["username"] as? String == "admin")
                    XCTAssertEqual(user["enabled"] as? Bool, true)
                    XCTAssertNotNil(user["verified"] as? Bool)
                    XCTAssertEqual((user["avatar"] as? [String: Any])?["kind"] as? String, "user")
                }

                let plain = try await server.quay(client, as: alice)
                try await plain.get("/api/v1/superuser/users/").assertAPIError(403, "insufficient_scope")
                try await QuayClient(client: client, token: nil).get("/api/v1/superuser/users/").assertAPIError(401, "invalid_token")
                let unscoped = try await server.quay(client, as: admin, scopes: Set(Scope.allCases).subtracting([.superUser]))
                try await unscoped.get("/api/v1/superuser/users/").assertAPIError(403, "insufficient_scope")

                let session = try await SignedInSession.signIn(client, "admin")
                let viaSession = try await session.get("/api/v1/superuser/users/")
                XCTAssertEqual(viaSession.status, .ok, "a signed-in superuser is a direct login: \(viaSession.text)")
            }
        }
    }

    func testUserListPagesWithLimitAndNextPage() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let admin = try await server.user("admin")
            let names = ["admin"] + (1...6).map { "user\($0)" }
            for name in names.dropFirst() { try await server.user(name) }
            try await server.run { client in
                let adminAPI = try await server.quay(client, as: admin)
                var seen: [String] = []
                var next: String?
                var pages = 0
                repeat {
                    let path = "/api/v1/superuser/users/?limit=3" + (next.map { "&next_page=\(FormEncoding.escape($0))" } ?? "")
                    let page = try await adminAPI.get(path)
                    XCTAssertEqual(page.status, .ok, page.text)
                    let users = page.json["users"] as? [[String: Any]] ?? []
                    XCTAssertLessThanOrEqual(users.count, 3)
                    XCTAssertFalse(users.isEmpty)
                    seen += users.compactMap { $0["username"] as? String }
                    next = page.json["next_page"] as? String
                    pages += 1
                } while next != nil && pages < 10
                XCTAssertEqual(pages, 3, "7 users in pages of 3")
                XCTAssertEqual(seen, names, "every user once, in name order")
            }
        }
    }

    func testCreatedUserCanLogIntoTheRegistry() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let admin = try await server.user("admin")
            let alice = try await server.user("alice")
            try await server.run { client in
                let adminAPI = try await server.quay(client, as: admin)
                let created = try await adminAPI.post("/api/v1/superuser/users/", ["username": "newbie", "email": "newbie@example.com"])
                XCTAssertEqual(created.status, .ok, created.text)
                XCTAssertEqual(created.json["username"] as? String, "newbie")
                XCTAssertEqual(created.json["email"] as? String, "newbie@example.com")
                let password = try XCTUnwrap(created.json["password"] as? String, created.text)
                XCTAssertGreaterThanOrEqual(password.count, 8)

                let login = try await client.execute(uri: "/v2/", method: .get, headers: .basic("newbie", password))
                XCTAssertEqual(login.status, .ok, "docker login with the generated password")
                _ = try await RegistryCalls(client: client, auth: .basic("newbie", password)).pushImage("newbie/first", tag: "v1")
                let wrong = try await client.execute(uri: "/v2/", method: .get, headers: .basic("newbie", password + "x"))
                XCTAssertEqual(wrong.status, .unauthorized)

                let listed = try await adminAPI.get("/api/v1/superuser/users/")
                XCTAssertTrue((listed.json["users"] as? [[String: Any]] ?? []).contains { $0["username"] as? String == "newbie" })
                let signIn = try await SignedInSession.signIn(client, "newbie", password: password)
                let newbieView = try await signIn.get("/api/v1/user/")
                XCTAssertEqual(newbieView.json["username"] as? String, "newbie")

                let duplicate = try await adminAPI.post("/api/v1/superuser/users/", ["username": "newbie"])
                XCTAssertEqual(duplicate.status, .badRequest, duplicate.text)
                let invalid = try await adminAPI.post("/api/v1/superuser/users/", ["username": "Not Valid"])
                XCTAssertEqual(invalid.status, .badRequest, invalid.text)
                let plain = try await server.quay(client, as: alice)
                try await plain.post("/api/v1/superuser/users/", ["username": "sneaky"]).assertAPIError(403, "insufficient_scope")
                let unscoped = try await server.quay(client, as: admin, scopes: [.userAdmin, .orgAdmin])
                try await unscoped.post("/api/v1/superuser/users/", ["username": "sneaky"]).assertAPIError(403, "insufficient_scope")
                let sneaky = try await server.server.store.account(named: "sneaky")
                XCTAssertNil(sneaky)
            }
        }
    }

    func testChangeAndDeleteOrganizations() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let admin = try await server.user("admin")
            let alice = try await server.user("alice")
            try await server.run { client in
                let aliceAPI = try await server.quay(client, as: alice)
                try await QuayOrgFixture(quay: aliceAPI).createOrganization("acme", email: "acme@example.com")
                _ = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("acme/app", tag: "v1")
                let robotToken = try await QuayOrgFixture(quay: aliceAPI).createRobot("acme", "deployer")
                let robotBefore = try await client.execute(uri: "/v2/", method: .get, headers: .basic("acme+deployer", robotToken))
                XCTAssertEqual(robotBefore.status, .ok)

                try await aliceAPI.put("/api/v1/superuser/organizations/acme", ["name": "taken"]).assertAPIError(403, "insufficient_scope")
                try await aliceAPI.delete("/api/v1/superuser/organizations/acme").assertAPIError(403, "insufficient_scope")
                try await QuayClient(client: client, token: nil).delete("/api/v1/superuser/organizations/acme").assertAPIError(401, "invalid_token")
                let unscoped = try await server.quay(client, as: admin, scopes: [.orgAdmin, .userAdmin])
                try await unscoped.delete("/api/v1/superuser/organizations/acme").assertAPIError(403, "insufficient_scope")

                let adminAPI = try await server.quay(client, as: admin)
                let changed = try await adminAPI.put("/api/v1/superuser/organizations/acme", ["name": "acmecorp", "email": "ops@acme.example.com"])
                XCTAssertEqual(changed.status, .ok, changed.text)
                XCTAssertEqual(changed.json["name"] as? String, "acmecorp")
                XCTAssertEqual(changed.json["email"] as? String, "ops@acme.example.com")
                XCTAssertEqual((changed.json["avatar"] as? [String: Any])?["kind"] as? String, "org")
                let oldName = try await server.server.store.account(named: "acme")
                XCTAssertNil(oldName)
                let renamed = try await server.server.store.account(named: "acmecorp")
                XCTAssertEqual(renamed?.email, "ops@acme.example.com")
                XCTAssertEqual(renamed?.isOrganization, true)

                let org = try await aliceAPI.get("/api/v1/organization/acmecorp")
                XCTAssertEqual(org.json["is_admin"] as? Bool, true, "the renamed organization keeps its teams")
                let pulled = try await client.execute(uri: "/v2/acmecorp/app/manifests/v1", method: .get, headers: Auth.alice)
                XCTAssertEqual(pulled.status, .ok, "repositories move with the organization")
                let renamedRobot = try await client.execute(uri: "/v2/", method: .get, headers: .basic("acmecorp+deployer", robotToken))
                XCTAssertEqual(renamedRobot.status, .ok, "robots are renamed with their organization")
                let oldRobot = try await client.execute(uri: "/v2/", method: .get, headers: .basic("acme+deployer", robotToken))
                XCTAssertEqual(oldRobot.status, .unauthorized, "the robot's old name stops working at once, though it just logged in")

                try await adminAPI.put("/api/v1/superuser/organizations/nothere", ["email": "x@example.com"]).assertAPIError(404, "not_found")
                try await adminAPI.put("/api/v1/superuser/organizations/alice", ["email": "x@example.com"]).assertAPIError(404, "not_found")
                let clash = try await adminAPI.put("/api/v1/superuser/organizations/acmecorp", ["name": "alice"])
                XCTAssertEqual(clash.status, .badRequest, "a rename onto an existing name is refused: \(clash.text)")

                let deleted = try await adminAPI.delete("/api/v1/superuser/organizations/acmecorp")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                let gone = try await server.server.store.account(named: "acmecorp")
                XCTAssertNil(gone)
                let repository = try await server.server.store.repository(namespace: "acmecorp", name: "app")
                XCTAssertNil(repository)
                let robotLogin = try await client.execute(uri: "/v2/", method: .get, headers: .basic("acmecorp+deployer", robotToken))
                XCTAssertEqual(robotLogin.status, .unauthorized, "the organization's robots go with it")
                try await adminAPI.delete("/api/v1/superuser/organizations/acmecorp").assertAPIError(404, "not_found")
                let stillThere = try await server.server.store.account(named: "alice")
                XCTAssertNotNil(stillThere, "deleting an organization leaves its members")
            }
        }
    }
}
