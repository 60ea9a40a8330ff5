import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// `/organization/{org}/prototypes…`: default permissions, and their application to new repositories
/// (quay.md §3.9).
final class QuayPrototypeTests: XCTestCase {
    func testCreateListUpdateDelete() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                let dave = try await server.user("dave")
                _ = try await OrgKit.createRobot(world.aliceAPI, prefix: "/api/v1/organization/acme/robots", "bot")
                let base = "/api/v1/organization/acme/prototypes"

                let empty = try await world.aliceAPI.get(base)
                XCTAssertEqual(empty.status, .ok, empty.text)
                XCTAssertEqual(OrgKit.objects(empty.json["prototypes"]).count, 0)

                // Delegate user, for every creator.
                let forBob = try await world.aliceAPI.post(base, ["role": "read", "delegate": ["name": "bob", "kind": "user"]])
                XCTAssertEqual(forBob.status, .ok, forBob.text)
                let bobID = try XCTUnwrap(forBob.json["id"] as? String)
                XCTAssertFalse(bobID.isEmpty)
                XCTAssertEqual(forBob.json["role"] as? String, "read")
                XCTAssertTrue(forBob.json["activating_user"] is NSNull, forBob.text)
                let bobDelegate = OrgKit.object(forBob.json["delegate"])
                XCTAssertEqual(bobDelegate["name"] as? String, "bob")
                XCTAssertEqual(bobDelegate["kind"] as? String, "user")
                XCTAssertEqual(bobDelegate["is_robot"] as? Bool, false)
                XCTAssertEqual(bobDelegate["is_org_member"] as? Bool, true, "bob is in devs")
                OrgKit.assertAvatar(bobDelegate["avatar"], name: "bob", kind: "user")

                // Delegate team, only for repositories carol creates.
                let forDevs = try await world.aliceAPI.post(base, ["role": "write", "delegate": ["name": "devs", "kind": "team"],
                                                                   "activating_user": ["name": "carol"]])
                XCTAssertEqual(forDevs.status, .ok, forDevs.text)
                let devsID = try XCTUnwrap(forDevs.json["id"] as? String)
                XCTAssertNotEqual(devsID, bobID)
                let activating = OrgKit.object(forDevs.json["activating_user"])
                XCTAssertEqual(activating["name"] as? String, "carol")
                XCTAssertEqual(activating["kind"] as? String, "user")
                XCTAssertEqual(activating["is_robot"] as? Bool, false)
                XCTAssertEqual(activating["is_org_member"] as? Bool, false, "carol is in no team")
                OrgKit.assertAvatar(activating["avatar"], name: "carol", kind: "user")
                let devsDelegate = OrgKit.object(forDevs.json["delegate"])
                XCTAssertEqual(devsDelegate["name"] as? String, "devs")
                XCTAssertEqual(devsDelegate["kind"] as? String, "team")
                OrgKit.assertAvatar(devsDelegate["avatar"], name: "devs", kind: "team")

                // The organization's robot.
                let forRobot = try await world.aliceAPI.post(base, ["role": "admin", "delegate": ["name": "acme+bot", "kind": "user"]])
                XCTAssertEqual(forRobot.status, .ok, forRobot.text)
                XCTAssertEqual(OrgKit.object(forRobot.json["delegate"])["is_robot"] as? Bool, true)
                XCTAssertEqual(OrgKit.object(forRobot.json["delegate"])["is_org_member"] as? Bool, true)
                let robotID = try XCTUnwrap(forRobot.json["id"] as? String)

                // Refusals.
                let badRole = try await world.aliceAPI.post(base, ["role": "owner", "delegate": ["name": "bob", "kind": "user"]])
                badRole.assertAPIError(400, "invalid_request")
                let unknownUser = try await world.aliceAPI.post(base, ["role": "read", "delegate": ["name": "nobody", "kind": "user"]])
                XCTAssertEqual(unknownUser.status.code, 400, unknownUser.text)
                let unknownTeam = try await world.aliceAPI.post(base, ["role": "read", "delegate": ["name": "nope", "kind": "team"]])
                XCTAssertEqual(unknownTeam.status.code, 400, unknownTeam.text)
                let badKind = try await world.aliceAPI.post(base, ["role": "read", "delegate": ["name": "bob", "kind": "planet"]])
                XCTAssertEqual(badKind.status.code, 400, badKind.text)
                let unknownActivating = try await world.aliceAPI.post(base, ["role": "read", "delegate": ["name": "bob", "kind": "user"],
                                                                             "activating_user": ["name": "nobody"]])
                XCTAssertEqual(unknownActivating.status.code, 400, unknownActivating.text)
                let noDelegate = try await world.aliceAPI.post(base, ["role": "read"])
                noDelegate.assertAPIError(400, "invalid_request")
                let noKind = try await world.aliceAPI.post(base, ["role": "read", "delegate": ["name": "bob"]])
                noKind.assertAPIError(400, "invalid_request")
                badKind.assertAPIError(400, "invalid_request")

                let list = try await world.aliceAPI.get(base)
                let prototypes = OrgKit.objects(list.json["prototypes"])
                XCTAssertEqual(Set(prototypes.compactMap { $0["id"] as? String }), [bobID, devsID, robotID], list.text)
                let listedDevs = try XCTUnwrap(prototypes.first { $0["id"] as? String == devsID })
                XCTAssertEqual(listedDevs["role"] as? String, "write")
                XCTAssertEqual(OrgKit.object(listedDevs["activating_user"])["name"] as? String, "carol")
                XCTAssertEqual(OrgKit.object(listedDevs["delegate"])["kind"] as? String, "team")

                // Update the role.
                let updated = try await world.aliceAPI.put("\(base)/\(bobID)", ["role": "admin"])
                XCTAssertEqual(updated.status, .ok, updated.text)
                XCTAssertEqual(updated.json["id"] as? String, bobID)
                XCTAssertEqual(updated.json["role"] as? String, "admin")
                XCTAssertEqual(OrgKit.object(updated.json["delegate"])["name"] as? String, "bob")
                let badUpdate = try await world.aliceAPI.put("\(base)/\(bobID)", ["role": "owner"])
                badUpdate.assertAPIError(400, "invalid_request")
                let reread = try await world.aliceAPI.get(base)
                let rereadBob = OrgKit.objects(reread.json["prototypes"]).first { $0["id"] as? String == bobID }
                XCTAssertEqual(rereadBob?["role"] as? String, "admin")
                let updateUnknown = try await world.aliceAPI.put("\(base)/00000000-0000-0000-0000-000000000000", ["role": "read"])
                updateUnknown.assertAPIError(404, "not_found")

                // Delete.
                let deleted = try await world.aliceAPI.delete("\(base)/\(bobID)")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                let afterDelete = try await world.aliceAPI.get(base)
                XCTAssertEqual(Set(OrgKit.objects(afterDelete.json["prototypes"]).compactMap { $0["id"] as? String }), [devsID, robotID])
                let deleteAgain = try await world.aliceAPI.delete("\(base)/\(bobID)")
                deleteAgain.assertAPIError(404, "not_found")

                // Another organization's prototypes are out of reach through this one.
                let daveOrg = try await world.api(dave)
                try await OrgKit.createOrganization(daveOrg, "other")
                let crossUpdate = try await daveOrg.put("/api/v1/organization/other/prototypes/\(devsID)", ["role": "read"])
                crossUpdate.assertAPIError(404, "not_found")
                let crossDelete = try await daveOrg.delete("/api/v1/organization/other/prototypes/\(devsID)")
                crossDelete.assertAPIError(404, "not_found")

                // Administrators only.
                for (label, caller, status) in [("member", world.bobAPI, 403), ("outsider", world.carolAPI, 403), ("anonymous", world.anonymous, 401)] {
                    let get = try await caller.get(base)
                    XCTAssertEqual(get.status.code, status, "\(label) list: \(get.text)")
                    let post = try await caller.post(base, ["role": "read", "delegate": ["name": "bob", "kind": "user"]])
                    XCTAssertEqual(post.status.code, status, "\(label) create: \(post.text)")
                    let put = try await caller.put("\(base)/\(devsID)", ["role": "admin"])
                    XCTAssertEqual(put.status.code, status, "\(label) update: \(put.text)")
                    let delete = try await caller.delete("\(base)/\(devsID)")
                    XCTAssertEqual(delete.status.code, status, "\(label) delete: \(delete.text)")
                }
                let unchanged = try await world.aliceAPI.get(base)
                XCTAssertEqual(OrgKit.objects(unchanged.json["prototypes"]).count, 2)
            }
        }
    }

    func testPrototypesApplyToRepositoriesCreatedByPush() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                try await server.user("dave")
                try await server.user("erin")
                // carol creates repositories through the creator team builders.
                try await OrgKit.saveTeam(world.aliceAPI, "acme", "builders", role: "creator")
                try await OrgKit.addMember(world.aliceAPI, "acme", "builders", "carol")
                try await OrgKit.saveTeam(world.aliceAPI, "acme", "readers", role: "member")
                let base = "/api/v1/organization/acme/prototypes"
                func prototype(_ body: [String: Any]) async throws {
                    let response = try await world.aliceAPI.post(base, body)
                    XCTAssertEqual(response.status, .ok, response.text)
                }
                try await prototype(["role": "read", "delegate": ["name": "bob", "kind": "user"]])
                try await prototype(["role": "write", "delegate": ["name": "devs", "kind": "team"], "activating_user": ["name": "carol"]])
                try await prototype(["role": "admin", "delegate": ["name": "dave", "kind": "user"], "activating_user": ["name": "erin"]])
                try await prototype(["role": "read", "delegate": ["name": "readers", "kind": "team"]])

                // bob cannot push into the organization: he is only in a member team.
                let bobPush = try await RegistryCalls(client: client, auth: .basic("bob", "password1")).pushBlob("acme/bobs", Fixtures.blob("x"))
                XCTAssertEqual(bobPush, .unauthorized, "a member team does not allow creating repositories")
                let notCreated = try await world.store.repository(namespace: "acme", name: "bobs")
                XCTAssertNil(notCreated)

                _ = try await RegistryCalls(client: client, auth: .basic("carol", "password1")).pushImage("acme/newrepo", tag: "v1")
                let users = try await world.aliceAPI.get("/api/v1/repository/acme/newrepo/permissions/user/")
                XCTAssertEqual(users.status, .ok, users.text)
                let userPermissions = OrgKit.object(users.json["permissions"])
                XCTAssertEqual(Set(userPermissions.keys), ["bob", "carol"], "the creator and bob's prototype; not dave's (erin's): \(users.text)")
                XCTAssertEqual(OrgKit.object(userPermissions["carol"])["role"] as? String, "admin", "the creator holds admin")
                XCTAssertEqual(OrgKit.object(userPermissions["bob"])["role"] as? String, "read")
                let teams = try await world.aliceAPI.get("/api/v1/repository/acme/newrepo/permissions/team/")
                let teamPermissions = OrgKit.object(teams.json["permissions"])
                XCTAssertEqual(Set(teamPermissions.keys), ["devs", "readers"], teams.text)
                XCTAssertEqual(OrgKit.object(teamPermissions["devs"])["role"] as? String, "write")
                XCTAssertEqual(OrgKit.object(teamPermissions["readers"])["role"] as? String, "read")

                // The applied permissions work on the registry: bob (direct read + devs' write) may push.
                let bobTags = try await client.execute(uri: "/v2/acme/newrepo/tags/list", method: .get, headers: .basic("bob", "password1"))
                XCTAssertEqual(bobTags.status, .ok, bobTags.text)
                XCTAssertEqual(bobTags.json["tags"] as? [String], ["v1"])
                let bobWrites = try await RegistryCalls(client: client, auth: .basic("bob", "password1")).pushBlob("acme/newrepo", Fixtures.blob("bob"))
                XCTAssertEqual(bobWrites, .created)
                let daveTags = try await client.execute(uri: "/v2/acme/newrepo/tags/list", method: .get, headers: .basic("dave", "password1"))
                XCTAssertEqual(daveTags.status, .unauthorized, "erin's prototype did not apply to carol's repository")

                // Prototypes apply when a repository is created, not retroactively; and per creator.
                _ = try await RegistryCalls(client: client, auth: .basic("alice", "password1")).pushImage("acme/byalice", tag: "v1")
                let aliceUsers = try await world.aliceAPI.get("/api/v1/repository/acme/byalice/permissions/user/")
                XCTAssertEqual(Set(OrgKit.object(aliceUsers.json["permissions"]).keys), ["alice", "bob"], aliceUsers.text)
                let aliceTeams = try await world.aliceAPI.get("/api/v1/repository/acme/byalice/permissions/team/")
                XCTAssertEqual(Set(OrgKit.object(aliceTeams.json["permissions"]).keys), ["readers"], "devs' prototype is for carol's repositories only")

                let list = try await world.aliceAPI.get(base)
                for entry in OrgKit.objects(list.json["prototypes"]) {
                    let id = try XCTUnwrap(entry["id"] as? String)
                    let deleted = try await world.aliceAPI.delete("\(base)/\(id)")
                    XCTAssertEqual(deleted.status, .noContent)
                }
                let stillThere = try await world.aliceAPI.get("/api/v1/repository/acme/newrepo/permissions/user/")
                XCTAssertEqual(Set(OrgKit.object(stillThere.json["permissions"]).keys), ["bob", "carol"], "deleting prototypes leaves granted permissions")
                _ = try await RegistryCalls(client: client, auth: .basic("carol", "password1")).pushImage("acme/later", tag: "v1")
                let later = try await world.aliceAPI.get("/api/v1/repository/acme/later/permissions/user/")
                XCTAssertEqual(Set(OrgKit.object(later.json["permissions"]).keys), ["carol"])
                let laterTeams = try await world.aliceAPI.get("/api/v1/repository/acme/later/permissions/team/")
                XCTAssertEqual(OrgKit.object(laterTeams.json["permissions"]).count, 0)
            }
        }
    }
}
