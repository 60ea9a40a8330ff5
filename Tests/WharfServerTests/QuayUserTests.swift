import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// `GET /api/v1/user/`, `GET /api/v1/users/{username}`, starred repositories and entity search.
final class QuayUserTests: XCTestCase {

    func testCurrentUserFullViewWithOrganizations() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            let bob = try await server.user("bob")
            try await server.run { client in
                let aliceAPI = try await server.quay(client, as: alice)
                try await QuayOrgFixture(quay: aliceAPI).createOrganization("acme")
                let bobFixture = QuayOrgFixture(quay: try await server.quay(client, as: bob))
                try await bobFixture.createOrganization("other")
                try await bobFixture.saveTeam("other", "readers", role: "member")
                try await bobFixture.addMember("other", team: "readers", "alice")

                let me = try await aliceAPI.get("/api/v1/user/")
                XCTAssertEqual(me.status, .ok, me.text)
                XCTAssertEqual(me.json["anonymous"] as? Bool, false)
                XCTAssertEqual(me.json["username"] as? String, "alice")
                XCTAssertEqual(me.json["email"] as? String, "alice@example.com")
                XCTAssertEqual(me.json["verified"] as? Bool, true)
                XCTAssertEqual(me.json["is_me"] as? Bool, true)
                XCTAssertEqual(me.json["can_create_repo"] as? Bool, true)
                XCTAssertEqual(me.json["tag_expiration_s"] as? Int, 1_209_600)
                XCTAssertEqual(me.json["has_password_set"] as? Bool, true)
                XCTAssertNotNil(me.json["logins"] as? [Any])
                XCTAssertNotNil(me.json["prompts"] as? [Any])
                let avatar = try XCTUnwrap(me.json["avatar"] as? [String: Any])
                XCTAssertEqual(avatar["kind"] as? String, "user")
                XCTAssertEqual(avatar["name"] as? String, "alice")
                XCTAssertEqual((avatar["hash"] as? String)?.count, 64)
                XCTAssertNil(me.json["super_user"], "only superusers get the super_user key")

                let organizations = try XCTUnwrap(me.json["organizations"] as? [[String: Any]], me.text)
                let byName = Dictionary(uniqueKeysWithValues: organizations.compactMap { org in (org["name"] as? String).map { ($0, org) } })
                XCTAssertEqual(Set(byName.keys), ["acme", "other"])
                XCTAssertEqual(byName["acme"]?["is_org_admin"] as? Bool, true)
                XCTAssertEqual(byName["acme"]?["can_create_repo"] as? Bool, true)
                XCTAssertEqual((byName["acme"]?["avatar"] as? [String: Any])?["kind"] as? String, "org")
                XCTAssertEqual(byName["other"]?["is_org_admin"] as? Bool, false)
                XCTAssertEqual(byName["other"]?["can_create_repo"] as? Bool, false, "a member team does not create repositories")
                XCTAssertEqual(byName["other"]?["public"] as? Bool, false)

                let bobMe = try await bobFixture.quay.get("/api/v1/user/")
                let bobOrganizations = bobMe.json["organizations"] as? [[String: Any]] ?? []
                XCTAssertEqual(bobOrganizations.compactMap { $0["name"] as? String }, ["other"])
            }
        }
    }

    func testCurrentUserRefusesAnonymousAndUnderScopedCallers() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let anonymous = try await QuayClient(client: client, token: nil).get("/api/v1/user/")
                anonymous.assertAPIError(401, "invalid_token")
                XCTAssertEqual(anonymous.json["session_required"] as? Bool, false)

                let unknownToken = try await QuayClient(client: client, token: String(repeating: "x", count: 40)).get("/api/v1/user/")
                unknownToken.assertAPIError(401, "invalid_token")

                // Quay's `User.get` raises InvalidToken("Requires authentication", session_required: false) when the
                // caller lacks UserReadPermission, so a token without user:read is a 401, not a 403.
                let repoReader = try await server.quay(client, as: alice, scopes: [.repoRead])
                let underScoped = try await repoReader.get("/api/v1/user/")
                underScoped.assertAPIError(401, "invalid_token")
                XCTAssertEqual(underScoped.json["session_required"] as? Bool, false)

                let userReader = try await server.quay(client, as: alice, scopes: [.userRead])
                let limited = try await userReader.get("/api/v1/user/")
                XCTAssertEqual(limited.status, .ok, limited.text)
                XCTAssertEqual(limited.json["username"] as? String, "alice")
                XCTAssertNotNil(limited.json["organizations"] as? [Any], "user:read shows the organizations")
                XCTAssertNil(limited.json["email"], "the e-mail address needs user:admin")
                XCTAssertNil(limited.json["is_me"])

                let basic = try await client.execute(uri: "/api/v1/user/", method: .get, headers: Auth.alice)
                basic.assertAPIError(401, "invalid_token")
                XCTAssertEqual(basic.json["session_required"] as? Bool, false, "Basic credentials count as anonymous on the API")
            }
        }
    }

    func testSuperUserFlag() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database) { $0.superUsers = ["admin", "root"] }
            let admin = try await server.user("admin")
            try await server.user("root")
            try await server.user("alice")
            try await server.run { client in
                let adminAPI = try await server.quay(client, as: admin)
                let me = try await adminAPI.get("/api/v1/user/")
                XCTAssertEqual(me.json["super_user"] as? Bool, true, me.text)

                let other = try await adminAPI.get("/api/v1/users/alice")
                XCTAssertEqual(other.status, .ok)
                XCTAssertEqual(other.json["super_user"] as? Bool, false, "a superuser asking about someone else sees super_user: false")
                let otherSuperuser = try await adminAPI.get("/api/v1/users/root")
                XCTAssertEqual(otherSuperuser.json["super_user"] as? Bool, false,
                               "Quay's user_view sets super_user only for the caller's own account")

                let withoutSuperScope = try await server.quay(client, as: admin, scopes: [.userRead, .userAdmin])
                let plain = try await withoutSuperScope.get("/api/v1/user/")
                XCTAssertEqual(plain.status, .ok)
                XCTAssertNil(plain.json["super_user"], "a token without super:user does not act as superuser")
            }
        }
    }

    func testOtherUsersSeeOnlyNameAndAvatar() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            let bob = try await server.user("bob")
            try await server.run { client in
                let aliceFixture = QuayOrgFixture(quay: try await server.quay(client, as: alice))
                try await aliceFixture.createOrganization("acme")
                _ = try await aliceFixture.createRobot("acme", "builder")

                let bobAPI = try await server.quay(client, as: bob)
                let viewed = try await bobAPI.get("/api/v1/users/alice")
                XCTAssertEqual(viewed.status, .ok, viewed.text)
                XCTAssertEqual(Set(viewed.json.keys), ["anonymous", "username", "avatar"], viewed.text)
                XCTAssertEqual(viewed.json["username"] as? String, "alice")
                XCTAssertEqual(viewed.json["anonymous"] as? Bool, false)
                XCTAssertEqual((viewed.json["avatar"] as? [String: Any])?["kind"] as? String, "user")

                let anonymous = try await QuayClient(client: client, token: nil).get("/api/v1/users/alice")
                XCTAssertEqual(anonymous.status, .ok, anonymous.text)
                XCTAssertEqual(Set(anonymous.json.keys), ["anonymous", "username", "avatar"])

                let own = try await aliceFixture.quay.get("/api/v1/users/alice")
                XCTAssertEqual(own.json["is_me"] as? Bool, true, "the caller's own account gets the full view")
                XCTAssertEqual(own.json["email"] as? String, "alice@example.com")

                try await bobAPI.get("/api/v1/users/nobody").assertMessage(404)
                try await bobAPI.get("/api/v1/users/acme").assertMessage(404)
                try await bobAPI.get("/api/v1/users/acme+builder").assertMessage(404)
            }
        }
    }

    func testStarringRepositories() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            let bob = try await server.user("bob")
            let store = server.server.store
            _ = try await store.createRepository(namespaceID: alice.id, name: "mine", visibility: .private, creatorID: alice.id)
            _ = try await store.createRepository(namespaceID: bob.id, name: "open", visibility: .public, creatorID: bob.id)
            _ = try await store.createRepository(namespaceID: bob.id, name: "secret", visibility: .private, creatorID: bob.id)
            try await server.run { client in
                let aliceAPI = try await server.quay(client, as: alice)
                let starred = try await aliceAPI.post("/api/v1/user/starred", ["namespace": "alice", "repository": "mine"])
                XCTAssertEqual(starred.status, .created, starred.text)
                XCTAssertEqual(starred.json["namespace"] as? String, "alice")
                XCTAssertEqual(starred.json["repository"] as? String, "mine")
                let again = try await aliceAPI.post("/api/v1/user/starred", ["namespace": "alice", "repository": "mine"])
                XCTAssertEqual(again.status, .created, "starring twice is harmless")
                let publicStar = try await aliceAPI.post("/api/v1/user/starred", ["namespace": "bob", "repository": "open"])
                XCTAssertEqual(publicStar.status, .created, publicStar.text)

                try await aliceAPI.post("/api/v1/user/starred", ["namespace": "bob", "repository": "secret"])
                    .assertAPIError(403, "insufficient_scope")
                try await QuayClient(client: client, token: nil).post("/api/v1/user/starred", ["namespace": "bob", "repository": "open"])
                    .assertAPIError(401, "invalid_token")
                // Stars are the user's settings: Quay's createStar is require_user_admin (quay.md §4.2: user:admin).
                let repoReader = try await server.quay(client, as: alice, scopes: [.repoRead])
                try await repoReader.post("/api/v1/user/starred", ["namespace": "bob", "repository": "open"])
                    .assertAPIError(403, "insufficient_scope")
                try await repoReader.get("/api/v1/user/starred").assertAPIError(403, "insufficient_scope")
                try await repoReader.delete("/api/v1/user/starred/alice/mine").assertAPIError(403, "insufficient_scope")
                let scoped = try await server.quay(client, as: alice, scopes: [.repoRead, .userAdmin])
                let scopedStar = try await scoped.post("/api/v1/user/starred", ["namespace": "alice", "repository": "mine"])
                XCTAssertEqual(scopedStar.status, .created, scopedStar.text)

                let list = try await aliceAPI.get("/api/v1/user/starred")
                XCTAssertEqual(list.status, .ok, list.text)
                XCTAssertNil(list.json["next_page"])
                let repositories = try XCTUnwrap(list.json["repositories"] as? [[String: Any]], list.text)
                XCTAssertEqual(repositories.count, 2, list.text)
                let entries = Dictionary(uniqueKeysWithValues: repositories.map { ("\($0["namespace"] ?? "")/\($0["name"] ?? "")", $0) })
                XCTAssertEqual(Set(entries.keys), ["alice/mine", "bob/open"])
                XCTAssertEqual(entries["alice/mine"]?["is_public"] as? Bool, false)
                XCTAssertEqual(entries["bob/open"]?["is_public"] as? Bool, true)
                XCTAssertTrue(entries["alice/mine"]?["description"] is NSNull, "description is present (null when unset)")

                let bobList = try await (try await server.quay(client, as: bob)).get("/api/v1/user/starred")
                XCTAssertEqual((bobList.json["repositories"] as? [Any])?.count, 0, "stars are per user")
                try await QuayClient(client: client, token: nil).get("/api/v1/user/starred").assertAPIError(401, "invalid_token")

                try await QuayClient(client: client, token: nil).delete("/api/v1/user/starred/alice/mine").assertAPIError(401, "invalid_token")
                let unstar = try await aliceAPI.delete("/api/v1/user/starred/alice/mine")
                XCTAssertEqual(unstar.status, .noContent, unstar.text)
                XCTAssertEqual(unstar.body.readableBytes, 0)
                let after = try await aliceAPI.get("/api/v1/user/starred")
                let remaining = (after.json["repositories"] as? [[String: Any]] ?? []).map { "\($0["namespace"] ?? "")/\($0["name"] ?? "")" }
                XCTAssertEqual(remaining, ["bob/open"])
            }
        }
    }

    func testStarredListIsPagedWithNextPage() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            let store = server.server.store
            let total = 101
            var expected: [String] = []
            for index in 0..<total {
                let name = String(format: "repo%03d", index)
                let repository = try await store.createRepository(namespaceID: alice.id, name: name, visibility: .private, creatorID: alice.id)
                try await store.star(accountID: alice.id, repositoryID: repository.id)
                expected.append("alice/" + name)
            }
            let expectedNames = expected
            try await server.run { client in
                let aliceAPI = try await server.quay(client, as: alice)
                var seen: [String] = []
                var next: String?
                var pages = 0
                repeat {
                    let path = "/api/v1/user/starred" + (next.map { "?next_page=\(FormEncoding.escape($0))" } ?? "")
                    let page = try await aliceAPI.get(path)
                    XCTAssertEqual(page.status, .ok, page.text)
                    let repositories = page.json["repositories"] as? [[String: Any]] ?? []
                    XCTAssertFalse(repositories.isEmpty, "a next_page token leads to more results")
                    seen += repositories.map { "\($0["namespace"] ?? "")/\($0["name"] ?? "")" }
                    next = page.json["next_page"] as? String
                    pages += 1
                } while next != nil && pages < 10
                XCTAssertGreaterThan(pages, 1, "more than one page of stars is paged")
                XCTAssertNil(next, "the last page has no next_page")
                XCTAssertEqual(seen.count, total)
                XCTAssertEqual(Set(seen), Set(expectedNames), "every starred repository appears exactly once")

                let garbage = try await aliceAPI.get("/api/v1/user/starred?next_page=not-a-token")
                XCTAssertEqual(garbage.status, .ok, "an unreadable token means the first page")
                XCTAssertEqual((garbage.json["repositories"] as? [[String: Any]])?.first?["name"] as? String, "repo000")
            }
        }
    }

    func testEntitySearch() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            let bob = try await server.user("bob")
            try await server.user("alfred")
            let carol = try await server.user("carol")
            try await server.run { client in
                let fixture = QuayOrgFixture(quay: try await server.quay(client, as: alice))
                try await fixture.createOrganization("acme")
                try await fixture.saveTeam("acme", "alpha", role: "member")
                try await fixture.saveTeam("acme", "builders", role: "creator")
                try await fixture.addMember("acme", team: "alpha", "bob")
                _ = try await fixture.createRobot("acme", "alfa")
                _ = try await fixture.createRobot("acme", "deployer")

                let bobAPI = try await server.quay(client, as: bob)
                let users = try await bobAPI.get("/api/v1/entities/al")
                XCTAssertEqual(users.status, .ok, users.text)
                let userResults = users.json["results"] as? [[String: Any]] ?? []
                XCTAssertEqual(Set(userResults.compactMap { $0["name"] as? String }), ["alice", "alfred"], users.text)
                for entry in userResults {
                    XCTAssertEqual(entry["kind"] as? String, "user")
                    XCTAssertEqual(entry["is_robot"] as? Bool, false)
                    XCTAssertEqual((entry["avatar"] as? [String: Any])?["kind"] as? String, "user")
                }

                let inOrg = try await bobAPI.get("/api/v1/entities/al?namespace=acme&includeTeams=true")
                XCTAssertEqual(inOrg.status, .ok, inOrg.text)
                let results = inOrg.json["results"] as? [[String: Any]] ?? []
                let robot = try XCTUnwrap(results.first { $0["name"] as? String == "acme+alfa" }, inOrg.text)
                XCTAssertEqual(robot["kind"] as? String, "user")
                XCTAssertEqual(robot["is_robot"] as? Bool, true)
                XCTAssertEqual(robot["is_org_member"] as? Bool, true, "an organization's robots count as its members")
                XCTAssertNil(results.first { $0["name"] as? String == "acme+deployer" }, "robots match by short-name prefix")
                let team = try XCTUnwrap(results.first { $0["kind"] as? String == "team" }, inOrg.text)
                XCTAssertEqual(team["name"] as? String, "alpha")
                XCTAssertEqual((team["avatar"] as? [String: Any])?["kind"] as? String, "team")
                XCTAssertEqual(team["is_org_member"] as? Bool, true, "Quay marks teams as organization members")
                XCTAssertEqual(results.filter { $0["kind"] as? String == "team" }.count, 1, "only teams matching the prefix")
                let aliceEntry = try XCTUnwrap(results.first { $0["name"] as? String == "alice" }, inOrg.text)
                XCTAssertEqual(aliceEntry["is_org_member"] as? Bool, true)
                let alfredEntry = try XCTUnwrap(results.first { $0["name"] as? String == "alfred" }, inOrg.text)
                XCTAssertEqual(alfredEntry["is_org_member"] as? Bool, false)

                let noTeams = try await bobAPI.get("/api/v1/entities/al?namespace=acme")
                XCTAssertNil((noTeams.json["results"] as? [[String: Any]] ?? []).first { $0["kind"] as? String == "team" },
                             "teams only with includeTeams")

                let carolAPI = try await server.quay(client, as: carol)
                let outsider = try await carolAPI.get("/api/v1/entities/al?namespace=acme&includeTeams=true")
                let outsiderNames = (outsider.json["results"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                XCTAssertFalse(outsiderNames.contains("acme+alfa"), "a non-member does not see the organization's robots")
                XCTAssertFalse(outsiderNames.contains("alpha"), "a non-member does not see the organization's teams")

                let orgs = try await bobAPI.get("/api/v1/entities/ac?namespace=acme&includeOrgs=true")
                let org = try XCTUnwrap((orgs.json["results"] as? [[String: Any]] ?? []).first { $0["kind"] as? String == "org" }, orgs.text)
                XCTAssertEqual(org["name"] as? String, "acme")
                XCTAssertEqual((org["avatar"] as? [String: Any])?["kind"] as? String, "org")
                let withoutOrgs = try await bobAPI.get("/api/v1/entities/ac?namespace=acme")
                XCTAssertNil((withoutOrgs.json["results"] as? [[String: Any]] ?? []).first { $0["kind"] as? String == "org" },
                             "organizations only with includeOrgs")
                let outsiderOrgs = try await carolAPI.get("/api/v1/entities/ac?namespace=acme&includeOrgs=true")
                XCTAssertNil((outsiderOrgs.json["results"] as? [[String: Any]] ?? []).first { $0["kind"] as? String == "org" },
                             "as in Quay, only members see the organization in the results")
            }
        }
    }
}
