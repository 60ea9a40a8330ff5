import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// `/api/v1/organization/…`: creating, viewing, changing and deleting organizations; members and
/// outside collaborators (quay.md §3.5).
final class QuayOrganizationTests: XCTestCase {
    func testCreateOrganization() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let alice = try await server.user("alice")
                try await server.user("bob")
                let api = try await server.quay(client, as: alice)

                let created = try await api.post("/api/v1/organization/", ["name": "acme", "email": "billing@acme.example"])
                XCTAssertEqual(created.status, .created, created.text)
                XCTAssertEqual(created.text, "\"Created\"", "the body is the JSON string \"Created\"")

                let view = try await api.get("/api/v1/organization/acme")
                XCTAssertEqual(view.status, .ok, view.text)
                XCTAssertEqual(view.json["name"] as? String, "acme")
                XCTAssertEqual(view.json["email"] as? String, "billing@acme.example")
                XCTAssertEqual(view.json["is_admin"] as? Bool, true)
                XCTAssertEqual(view.json["is_member"] as? Bool, true)
                OrgKit.assertAvatar(view.json["avatar"], name: "acme", kind: "org")
                XCTAssertEqual(view.json["ordered_teams"] as? [String], ["owners"])
                let owners = OrgKit.object(OrgKit.object(view.json["teams"])["owners"])
                XCTAssertEqual(owners["role"] as? String, "admin", "the creator's team is owners with role admin")
                XCTAssertEqual(owners["member_count"] as? Int, 1)
                XCTAssertEqual(owners["can_view"] as? Bool, true)
                let ownerMembers = try await api.get("/api/v1/organization/acme/team/owners/members")
                XCTAssertEqual(OrgKit.names(ownerMembers.json["members"]), ["alice"])

                // Name taken by an organization or by a user.
                let duplicate = try await api.post("/api/v1/organization/", ["name": "acme"])
                duplicate.assertAPIError(400, "invalid_request")
                XCTAssertEqual(duplicate.json["error_message"] as? String, "A user or organization with this name already exists")
                let userName = try await api.post("/api/v1/organization/", ["name": "bob"])
                userName.assertAPIError(400, "invalid_request")

                // Invalid names and bodies.
                for name in ["Bad Name", "UPPER", "a", "-leading"] {
                    let bad = try await api.post("/api/v1/organization/", ["name": name])
                    bad.assertAPIError(400, "invalid_request")
                    let missing = try await server.server.store.account(named: name)
                    XCTAssertNil(missing, "organization \(name) must not be created")
                }
                let noName = try await api.post("/api/v1/organization/", ["email": "x@example.com"])
                XCTAssertEqual(noName.status.code, 400, noName.text)

                // Anonymous callers and tokens without user:admin cannot create organizations.
                let anonymous = try await QuayClient(client: client, token: nil).post("/api/v1/organization/", ["name": "anon"])
                anonymous.assertAPIError(401, "invalid_token")
                let readOnly = try await server.quay(client, as: alice, scopes: [.userRead, .orgAdmin])
                let scoped = try await readOnly.post("/api/v1/organization/", ["name": "scoped"])
                scoped.assertAPIError(403, "insufficient_scope")
                let scopedMissing = try await server.server.store.account(named: "scoped")
                XCTAssertNil(scopedMissing)
            }
        }
    }

    func testOrganizationViewDependsOnTheCaller() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                try await OrgKit.saveTeam(world.aliceAPI, "acme", "ops", role: "creator", description: "Operations")

                let admin = try await world.aliceAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(admin.status, .ok, admin.text)
                XCTAssertEqual(admin.json["email"] as? String, "acme@example.com")
                XCTAssertEqual(admin.json["tag_expiration_s"] as? Int, 1_209_600, "the default time machine is two weeks")
                XCTAssertEqual(admin.json["is_free_account"] as? Bool, true)
                XCTAssertEqual(admin.json["invoice_email"] as? Bool, false)
                XCTAssertTrue(admin.json.keys.contains("invoice_email_address"))
                XCTAssertEqual(admin.json["ordered_teams"] as? [String], ["owners", "devs", "ops"], "Quay orders teams by creation")
                let teams = OrgKit.object(admin.json["teams"])
                XCTAssertEqual(Set(teams.keys), ["devs", "ops", "owners"])
                let ops = OrgKit.object(teams["ops"])
                XCTAssertEqual(ops["name"] as? String, "ops")
                XCTAssertEqual(ops["role"] as? String, "creator")
                XCTAssertEqual(ops["description"] as? String, "Operations")
                XCTAssertEqual(ops["can_view"] as? Bool, true, "admins can view every team")
                XCTAssertEqual(ops["member_count"] as? Int, 0)
                XCTAssertEqual(ops["repo_count"] as? Int, 0)
                XCTAssertEqual(ops["is_synced"] as? Bool, false)
                OrgKit.assertAvatar(ops["avatar"], name: "ops", kind: "team")
                XCTAssertEqual(OrgKit.object(teams["devs"])["member_count"] as? Int, 1)

                // A member sees the teams but not the settings nor the e-mail address.
                let member = try await world.bobAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(member.status, .ok, member.text)
                XCTAssertEqual(member.json["is_admin"] as? Bool, false)
                XCTAssertEqual(member.json["is_member"] as? Bool, true)
                XCTAssertEqual(member.json["email"] as? String, "")
                XCTAssertNil(member.json["tag_expiration_s"])
                XCTAssertNil(member.json["is_free_account"])
                let memberTeams = OrgKit.object(member.json["teams"])
                XCTAssertEqual(Set(memberTeams.keys), ["devs", "ops", "owners"])
                XCTAssertEqual(OrgKit.object(memberTeams["devs"])["can_view"] as? Bool, true, "bob is in devs")
                XCTAssertEqual(OrgKit.object(memberTeams["owners"])["can_view"] as? Bool, false, "bob is not in owners")

                // A user outside the organization and an anonymous caller see the name only.
                for (label, caller) in [("non-member", world.carolAPI), ("anonymous", world.anonymous)] {
                    let outside = try await caller.get("/api/v1/organization/acme")
                    XCTAssertEqual(outside.status, .ok, "\(label): \(outside.text)")
                    XCTAssertEqual(outside.json["name"] as? String, "acme", label)
                    XCTAssertEqual(outside.json["email"] as? String, "", label)
                    XCTAssertEqual(outside.json["is_admin"] as? Bool, false, label)
                    XCTAssertEqual(outside.json["is_member"] as? Bool, false, label)
                    XCTAssertNil(outside.json["teams"], label)
                    XCTAssertNil(outside.json["ordered_teams"], label)
                    XCTAssertNil(outside.json["tag_expiration_s"], label)
                }

                // Unknown organizations (and users, which are not organizations) are 404 for everyone.
                for (label, caller) in [("admin", world.aliceAPI), ("anonymous", world.anonymous)] {
                    let missing = try await caller.get("/api/v1/organization/nothere")
                    missing.assertAPIError(404, "not_found")
                    let user = try await caller.get("/api/v1/organization/bob")
                    XCTAssertEqual(user.status.code, 404, "\(label): a user is not an organization")
                }
            }
        }
    }

    func testUpdateOrganization() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                let path = "/api/v1/organization/acme"

                let email = try await world.aliceAPI.put(path, ["email": "new@acme.example"])
                XCTAssertEqual(email.status, .ok, email.text)
                XCTAssertEqual(email.json["email"] as? String, "new@acme.example", "PUT answers with the organization view")
                XCTAssertEqual(email.json["is_admin"] as? Bool, true)

                let expiration = try await world.aliceAPI.put(path, ["tag_expiration_s": 86_400])
                XCTAssertEqual(expiration.status, .ok, expiration.text)
                XCTAssertEqual(expiration.json["tag_expiration_s"] as? Int, 86_400)
                XCTAssertEqual(expiration.json["email"] as? String, "new@acme.example", "an absent field is left unchanged")

                let contact = try await world.aliceAPI.put(path, ["contact_email": "contact@acme.example"])
                XCTAssertEqual(contact.json["email"] as? String, "contact@acme.example", "contact_email is an alias of email")

                let badExpiration = try await world.aliceAPI.put(path, ["tag_expiration_s": 12_345])
                badExpiration.assertMessage(400)

                let reread = try await world.aliceAPI.get(path)
                XCTAssertEqual(reread.json["tag_expiration_s"] as? Int, 86_400, "refused changes change nothing")
                XCTAssertEqual(reread.json["email"] as? String, "contact@acme.example")
                let stored = try await world.store.account(named: "acme")
                XCTAssertEqual(stored?.email, "contact@acme.example")

                let member = try await world.bobAPI.put(path, ["email": "bob@acme.example"])
                member.assertAPIError(403, "insufficient_scope")
                let outsider = try await world.carolAPI.put(path, ["email": "carol@acme.example"])
                outsider.assertAPIError(403, "insufficient_scope")
                let anonymous = try await world.anonymous.put(path, ["email": "anon@acme.example"])
                anonymous.assertAPIError(401, "invalid_token")
                let unchanged = try await world.store.account(named: "acme")
                XCTAssertEqual(unchanged?.email, "contact@acme.example")
            }
        }
    }

    func testDeleteOrganization() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                _ = try await OrgKit.createRobot(world.aliceAPI, prefix: "/api/v1/organization/acme/robots", "deployer")
                try await world.repository("app")

                let byMember = try await world.bobAPI.delete("/api/v1/organization/acme")
                byMember.assertAPIError(403, "insufficient_scope")
                let byAnonymous = try await world.anonymous.delete("/api/v1/organization/acme")
                byAnonymous.assertAPIError(401, "invalid_token")

                let deleted = try await world.aliceAPI.delete("/api/v1/organization/acme")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                XCTAssertEqual(deleted.body.readableBytes, 0)

                let gone = try await world.aliceAPI.get("/api/v1/organization/acme")
                gone.assertAPIError(404, "not_found")
                let robot = try await world.store.account(named: "acme+deployer")
                XCTAssertNil(robot, "the organization's robots go with it")
                let repository = try await world.store.repository(namespace: "acme", name: "app")
                XCTAssertNil(repository, "the organization's repositories go with it")

                // The caller now administers nothing there: a second delete is refused, not 404.
                let again = try await world.aliceAPI.delete("/api/v1/organization/acme")
                again.assertAPIError(403, "insufficient_scope")
                // The name is free again.
                try await OrgKit.createOrganization(world.aliceAPI, "acme")
            }
        }
    }

    func testMembersListGetAndRemove() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                _ = try await OrgKit.createRobot(world.aliceAPI, prefix: "/api/v1/organization/acme/robots", "bot")
                try await OrgKit.addMember(world.aliceAPI, "acme", "devs", "acme+bot")
                try await world.repository("app")
                try await OrgKit.grant(world.aliceAPI, "acme/app", user: "bob", role: "write")

                let members = try await world.aliceAPI.get("/api/v1/organization/acme/members")
                XCTAssertEqual(members.status, .ok, members.text)
                let list = OrgKit.objects(members.json["members"])
                XCTAssertEqual(list.compactMap { $0["name"] as? String }.sorted(), ["alice", "bob"], "robots are not listed")
                let bob = try XCTUnwrap(list.first { $0["name"] as? String == "bob" })
                XCTAssertEqual(bob["kind"] as? String, "user")
                XCTAssertEqual(OrgKit.names(bob["teams"]), ["devs"])
                OrgKit.assertAvatar(OrgKit.objects(bob["teams"]).first?["avatar"], name: "devs", kind: "team")
                XCTAssertEqual(bob["repositories"] as? [String], ["app"], "repositories with a direct permission")
                OrgKit.assertAvatar(bob["avatar"], name: "bob", kind: "user")
                let alice = try XCTUnwrap(list.first { $0["name"] as? String == "alice" })
                XCTAssertEqual(OrgKit.names(alice["teams"]), ["owners"])
                XCTAssertEqual(alice["repositories"] as? [String], ["app"], "the creator of a repository holds admin on it")

                let single = try await world.aliceAPI.get("/api/v1/organization/acme/members/bob")
                XCTAssertEqual(single.status, .ok, single.text)
                XCTAssertEqual(single.json["name"] as? String, "bob")
                XCTAssertEqual(single.json["kind"] as? String, "user")
                XCTAssertEqual(OrgKit.names(single.json["teams"]), ["devs"])
                XCTAssertEqual(single.json["repositories"] as? [String], ["app"])
                let robot = try await world.aliceAPI.get("/api/v1/organization/acme/members/acme+bot")
                XCTAssertEqual(robot.status, .ok, robot.text)
                XCTAssertEqual(robot.json["kind"] as? String, "robot")
                let outsider = try await world.aliceAPI.get("/api/v1/organization/acme/members/carol")
                outsider.assertAPIError(404, "not_found")
                let nobody = try await world.aliceAPI.get("/api/v1/organization/acme/members/nobody")
                nobody.assertAPIError(404, "not_found")

                let notAdmin = try await world.bobAPI.get("/api/v1/organization/acme/members")
                notAdmin.assertAPIError(403, "insufficient_scope")
                let notAdminRemove = try await world.bobAPI.delete("/api/v1/organization/acme/members/alice")
                notAdminRemove.assertAPIError(403, "insufficient_scope")

                // Removing a member takes them out of every team and every permission on the organization's repositories.
                let removed = try await world.aliceAPI.delete("/api/v1/organization/acme/members/bob")
                XCTAssertEqual(removed.status, .noContent, removed.text)
                let after = try await world.aliceAPI.get("/api/v1/organization/acme/members")
                XCTAssertEqual(OrgKit.names(after.json["members"]), ["alice"])
                let bobGone = try await world.aliceAPI.get("/api/v1/organization/acme/members/bob")
                bobGone.assertAPIError(404, "not_found")
                let permission = try await world.aliceAPI.get("/api/v1/repository/acme/app/permissions/user/bob")
                permission.assertMessage(400)
                let devs = try await world.aliceAPI.get("/api/v1/organization/acme/team/devs/members")
                XCTAssertEqual(OrgKit.names(devs.json["members"]), ["acme+bot"])
                let bobsView = try await world.bobAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(bobsView.json["is_member"] as? Bool, false)

                // The only administrator cannot be removed; robots are not removed through this endpoint.
                let lastAdmin = try await world.aliceAPI.delete("/api/v1/organization/acme/members/alice")
                lastAdmin.assertMessage(400)
                XCTAssertEqual(lastAdmin.json["message"] as? String, "Cannot remove user as they are the only organization admin")
                let robotRemoval = try await world.aliceAPI.delete("/api/v1/organization/acme/members/acme+bot")
                robotRemoval.assertAPIError(404, "not_found")
            }
        }
    }

    func testCollaboratorsAreUsersWithRepositoryPermissionsOutsideEveryTeam() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                _ = try await OrgKit.createRobot(world.aliceAPI, prefix: "/api/v1/organization/acme/robots", "bot")
                try await world.repository("app")
                try await world.repository("web")
                try await OrgKit.grant(world.aliceAPI, "acme/app", user: "carol", role: "read")
                try await OrgKit.grant(world.aliceAPI, "acme/web", user: "carol", role: "write")
                try await OrgKit.grant(world.aliceAPI, "acme/app", user: "bob", role: "write")
                try await OrgKit.grant(world.aliceAPI, "acme/app", user: "acme+bot", role: "read")

                let response = try await world.aliceAPI.get("/api/v1/organization/acme/collaborators")
                XCTAssertEqual(response.status, .ok, response.text)
                let collaborators = OrgKit.objects(response.json["collaborators"])
                XCTAssertEqual(collaborators.count, 1, "bob is in a team and robots are not collaborators: \(response.text)")
                let carol = try XCTUnwrap(collaborators.first)
                XCTAssertEqual(carol["name"] as? String, "carol")
                XCTAssertEqual(carol["kind"] as? String, "user")
                XCTAssertEqual((carol["repositories"] as? [String])?.sorted(), ["app", "web"])
                OrgKit.assertAvatar(carol["avatar"], name: "carol", kind: "user")

                // Once carol joins a team she is a member, not a collaborator.
                try await OrgKit.addMember(world.aliceAPI, "acme", "devs", "carol")
                let after = try await world.aliceAPI.get("/api/v1/organization/acme/collaborators")
                XCTAssertEqual(OrgKit.objects(after.json["collaborators"]).count, 0, after.text)

                let byMember = try await world.bobAPI.get("/api/v1/organization/acme/collaborators")
                byMember.assertAPIError(403, "insufficient_scope")
                let byAnonymous = try await world.anonymous.get("/api/v1/organization/acme/collaborators")
                byAnonymous.assertAPIError(401, "invalid_token")
            }
        }
    }
}
