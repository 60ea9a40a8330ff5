import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// `/user/robots…` and `/organization/{org}/robots…`: robot accounts (quay.md §3.7).
final class QuayRobotTests: XCTestCase {
    func testUserRobotLifecycle() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let alice = try await server.user("alice")
                let api = try await server.quay(client, as: alice)
                let base = "/api/v1/user/robots"
                _ = try await RegistryCalls(client: client, auth: .basic("alice", "password1")).pushImage("alice/app", tag: "v1")

                let created = try await api.put("\(base)/ci", ["description": "Continuous integration",
                                                               "unstructured_metadata": ["team": "build", "level": 3]])
                XCTAssertEqual(created.status, .created, created.text)
                XCTAssertEqual(created.json["name"] as? String, "alice+ci", "names are always owner+short")
                XCTAssertEqual(created.json["description"] as? String, "Continuous integration")
                let metadata = OrgKit.object(created.json["unstructured_metadata"])
                XCTAssertEqual(metadata["team"] as? String, "build")
                XCTAssertEqual(metadata["level"] as? Int, 3)
                let token = try XCTUnwrap(created.json["token"] as? String)
                XCTAssertTrue(OrgKit.isRobotToken(token), "64 characters of [A-Z0-9]: \(token)")
                XCTAssertEqual((created.json["created"] as? String)?.hasSuffix(" -0000"), true, "RFC 2822 date: \(created.text)")
                XCTAssertTrue(created.json["last_accessed"] is NSNull, created.text)

                let duplicate = try await api.put("\(base)/ci")
                duplicate.assertMessage(400)
                XCTAssertEqual(duplicate.json["message"] as? String, "Existing robot with name: alice+ci")
                let badName = try await api.put("\(base)/Bad%20Name")
                XCTAssertEqual(badName.status.code, 400, badName.text)
                let badMetadata = try await api.put("\(base)/other", ["unstructured_metadata": "a string"])
                XCTAssertEqual(badMetadata.status.code, 400, badMetadata.text)
                let longDescription = try await api.put("\(base)/other", ["description": String(repeating: "x", count: 256)])
                XCTAssertEqual(longDescription.status.code, 400, longDescription.text)
                let noBody = try await api.put("\(base)/plain")
                XCTAssertEqual(noBody.status, .created, "the body is optional: \(noBody.text)")
                XCTAssertEqual(noBody.json["description"] as? String, "")
                XCTAssertEqual(OrgKit.object(noBody.json["unstructured_metadata"]).count, 0)

                let single = try await api.get("\(base)/ci")
                XCTAssertEqual(single.status, .ok, single.text)
                XCTAssertEqual(single.json["name"] as? String, "alice+ci")
                XCTAssertEqual(single.json["token"] as? String, token, "the owner sees the same token again")
                XCTAssertEqual(single.json["description"] as? String, "Continuous integration")
                XCTAssertEqual(OrgKit.object(single.json["unstructured_metadata"])["team"] as? String, "build")
                let unknown = try await api.get("\(base)/nope")
                unknown.assertMessage(400)
                XCTAssertEqual(unknown.json["message"] as? String, "Could not find robot with specified username")

                // The token logs in to the registry; last_accessed is then set.
                let login = try await OrgKit.registryLogin(client, "alice+ci", token)
                XCTAssertEqual(login, 200)
                let accessed = try await api.get("\(base)/ci")
                XCTAssertEqual((accessed.json["last_accessed"] as? String)?.hasSuffix(" -0000"), true, accessed.text)

                // Listing, with and without tokens and permissions.
                let list = try await api.get(base)
                XCTAssertEqual(list.status, .ok, list.text)
                let robots = OrgKit.objects(list.json["robots"])
                XCTAssertEqual(robots.compactMap { $0["name"] as? String }.sorted(), ["alice+ci", "alice+plain"])
                let listed = try XCTUnwrap(robots.first { $0["name"] as? String == "alice+ci" })
                XCTAssertEqual(listed["token"] as? String, token, "tokens are listed by default")
                XCTAssertEqual(listed["description"] as? String, "Continuous integration")
                XCTAssertNil(listed["teams"], "permissions only when asked")
                let noTokens = try await api.get("\(base)?token=false")
                XCTAssertTrue(OrgKit.objects(noTokens.json["robots"]).allSatisfy { $0["token"] == nil }, noTokens.text)
                let limited = try await api.get("\(base)?limit=1")
                XCTAssertEqual(OrgKit.objects(limited.json["robots"]).count, 1)

                let granted = try await api.put("/api/v1/repository/alice/app/permissions/user/alice+ci", ["role": "read"])
                XCTAssertEqual(granted.status, .ok, granted.text)
                XCTAssertEqual(granted.json["is_robot"] as? Bool, true)
                let withPermissions = try await api.get("\(base)?permissions=true")
                let ci = try XCTUnwrap(OrgKit.objects(withPermissions.json["robots"]).first { $0["name"] as? String == "alice+ci" })
                XCTAssertEqual(ci["repositories"] as? [String], ["app"])
                XCTAssertEqual(OrgKit.objects(ci["teams"]).count, 0)
                let permissions = try await api.get("\(base)/ci/permissions")
                XCTAssertEqual(permissions.status, .ok, permissions.text)
                let entries = OrgKit.objects(permissions.json["permissions"])
                XCTAssertEqual(entries.count, 1)
                XCTAssertEqual(entries.first?["role"] as? String, "read")
                XCTAssertEqual(OrgKit.object(entries.first?["repository"])["name"] as? String, "app")
                XCTAssertEqual(OrgKit.object(entries.first?["repository"])["is_public"] as? Bool, false)
                let pull = try await client.execute(uri: "/v2/alice/app/tags/list", method: .get, headers: .basic("alice+ci", token))
                XCTAssertEqual(pull.status, .ok, pull.text)
                XCTAssertEqual(pull.json["tags"] as? [String], ["v1"])

                // Regenerating replaces the token: the old one stops working at once.
                let regenerated = try await api.post("\(base)/ci/regenerate")
                XCTAssertEqual(regenerated.status, .ok, regenerated.text)
                XCTAssertEqual(regenerated.json["name"] as? String, "alice+ci")
                let newToken = try XCTUnwrap(regenerated.json["token"] as? String)
                XCTAssertTrue(OrgKit.isRobotToken(newToken))
                XCTAssertNotEqual(newToken, token)
                let oldLogin = try await OrgKit.registryLogin(client, "alice+ci", token)
                XCTAssertEqual(oldLogin, 401, "the old token is refused")
                let newLogin = try await OrgKit.registryLogin(client, "alice+ci", newToken)
                XCTAssertEqual(newLogin, 200)
                let afterRegenerate = try await api.get("\(base)/ci")
                XCTAssertEqual(afterRegenerate.json["token"] as? String, newToken)
                let regenerateUnknown = try await api.post("\(base)/nope/regenerate")
                regenerateUnknown.assertMessage(400)

                // Deleting.
                let deleted = try await api.delete("\(base)/ci")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                let gone = try await api.get("\(base)/ci")
                gone.assertMessage(400)
                let goneLogin = try await OrgKit.registryLogin(client, "alice+ci", newToken)
                XCTAssertEqual(goneLogin, 401)
                let deleteAgain = try await api.delete("\(base)/ci")
                deleteAgain.assertMessage(400)
                let userPermissions = try await api.get("/api/v1/repository/alice/app/permissions/user/")
                XCTAssertNil(OrgKit.object(userPermissions.json["permissions"])["alice+ci"], "the robot's permissions go with it")
                let listAfter = try await api.get(base)
                XCTAssertEqual(OrgKit.names(listAfter.json["robots"]), ["alice+plain"])
            }
        }
    }

    func testUserRobotsArePrivateToTheirOwner() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let alice = try await server.user("alice")
                let bob = try await server.user("bob")
                let aliceAPI = try await server.quay(client, as: alice)
                let bobAPI = try await server.quay(client, as: bob)
                _ = try await OrgKit.createRobot(aliceAPI, prefix: "/api/v1/user/robots", "ci")

                let bobList = try await bobAPI.get("/api/v1/user/robots")
                XCTAssertEqual(bobList.status, .ok)
                XCTAssertEqual(OrgKit.objects(bobList.json["robots"]).count, 0, "/user/robots lists the caller's own robots")
                let bobGet = try await bobAPI.get("/api/v1/user/robots/ci")
                bobGet.assertMessage(400)
                // bob's robot of the same short name is bob+ci, a different robot.
                let bobCreates = try await bobAPI.put("/api/v1/user/robots/ci")
                XCTAssertEqual(bobCreates.status, .created, bobCreates.text)
                XCTAssertEqual(bobCreates.json["name"] as? String, "bob+ci")

                let anonymous = try await QuayClient(client: client, token: nil).get("/api/v1/user/robots")
                anonymous.assertAPIError(401, "invalid_token")
                let readOnly = try await server.quay(client, as: alice, scopes: [.userRead, .repoRead])
                let scoped = try await readOnly.get("/api/v1/user/robots")
                scoped.assertAPIError(403, "insufficient_scope")
                let scopedCreate = try await readOnly.put("/api/v1/user/robots/sneaky")
                scopedCreate.assertAPIError(403, "insufficient_scope")
            }
        }
    }

    func testOrganizationRobots() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                let base = "/api/v1/organization/acme/robots"
                try await world.repository("app")
                _ = try await RegistryCalls(client: client, auth: .basic("alice", "password1")).pushImage("acme/app", tag: "v1")

                let created = try await world.aliceAPI.put("\(base)/deployer", ["description": "Deploys"])
                XCTAssertEqual(created.status, .created, created.text)
                XCTAssertEqual(created.json["name"] as? String, "acme+deployer")
                let token = try XCTUnwrap(created.json["token"] as? String)
                XCTAssertTrue(OrgKit.isRobotToken(token))
                let duplicate = try await world.aliceAPI.put("\(base)/deployer")
                duplicate.assertMessage(400)
                let unknown = try await world.aliceAPI.get("\(base)/nope")
                unknown.assertMessage(400)
                XCTAssertEqual(unknown.json["message"] as? String, "Could not find robot with specified username")

                let adminList = try await world.aliceAPI.get(base)
                XCTAssertEqual(adminList.status, .ok, adminList.text)
                let adminEntry = try XCTUnwrap(OrgKit.objects(adminList.json["robots"]).first)
                XCTAssertEqual(adminEntry["name"] as? String, "acme+deployer")
                XCTAssertEqual(adminEntry["token"] as? String, token)

                // Org robot permissions on an org repository; the robot then pulls and pushes.
                let granted = try await world.aliceAPI.put("/api/v1/repository/acme/app/permissions/user/acme+deployer", ["role": "write"])
                XCTAssertEqual(granted.status, .ok, granted.text)
                XCTAssertEqual(granted.json["is_robot"] as? Bool, true)
                XCTAssertEqual(granted.json["is_org_member"] as? Bool, true, "an organization's robot counts as its member")
                try await OrgKit.addMember(world.aliceAPI, "acme", "devs", "acme+deployer")
                let permissions = try await world.aliceAPI.get("\(base)/deployer/permissions")
                XCTAssertEqual(OrgKit.objects(permissions.json["permissions"]).first?["role"] as? String, "write")
                let withPermissions = try await world.aliceAPI.get("\(base)?permissions=true&token=false")
                let entry = try XCTUnwrap(OrgKit.objects(withPermissions.json["robots"]).first)
                XCTAssertEqual(entry["repositories"] as? [String], ["app"])
                XCTAssertEqual(OrgKit.names(entry["teams"]), ["devs"])
                OrgKit.assertAvatar(OrgKit.objects(entry["teams"]).first?["avatar"], name: "devs", kind: "team")
                XCTAssertNil(entry["token"])
                let robotCalls = RegistryCalls(client: client, auth: .basic("acme+deployer", token))
                _ = try await robotCalls.pushImage("acme/app", tag: "v2", layer: "robot layer")
                let tags = try await client.execute(uri: "/v2/acme/app/tags/list", method: .get, headers: .basic("acme+deployer", token))
                XCTAssertEqual((tags.json["tags"] as? [String])?.sorted(), ["v1", "v2"])

                // A plain member may list the robots but sees no tokens or permissions, and may not open one.
                let memberList = try await world.bobAPI.get("\(base)?permissions=true")
                XCTAssertEqual(memberList.status, .ok, memberList.text)
                let memberEntry = try XCTUnwrap(OrgKit.objects(memberList.json["robots"]).first)
                XCTAssertEqual(memberEntry["name"] as? String, "acme+deployer")
                XCTAssertNil(memberEntry["token"], "members see no tokens: \(memberList.text)")
                XCTAssertNil(memberEntry["repositories"], "members see no permissions: \(memberList.text)")
                XCTAssertFalse(memberList.text.contains(token))
                for (label, response) in [
                    ("get", try await world.bobAPI.get("\(base)/deployer")),
                    ("create", try await world.bobAPI.put("\(base)/mine")),
                    ("permissions", try await world.bobAPI.get("\(base)/deployer/permissions")),
                    ("regenerate", try await world.bobAPI.post("\(base)/deployer/regenerate")),
                    ("delete", try await world.bobAPI.delete("\(base)/deployer")),
                ] {
                    XCTAssertEqual(response.status.code, 403, "member \(label): \(response.text)")
                    XCTAssertFalse(response.text.contains(token), "member \(label) must not see the token")
                }
                let outsider = try await world.carolAPI.get(base)
                outsider.assertAPIError(403, "insufficient_scope")
                let anonymous = try await world.anonymous.get(base)
                anonymous.assertAPIError(401, "invalid_token")

                // Regenerate and delete as the administrator.
                let regenerated = try await world.aliceAPI.post("\(base)/deployer/regenerate")
                let newToken = try XCTUnwrap(regenerated.json["token"] as? String, regenerated.text)
                XCTAssertNotEqual(newToken, token)
                let oldLogin = try await OrgKit.registryLogin(client, "acme+deployer", token)
                XCTAssertEqual(oldLogin, 401)
                let newLogin = try await OrgKit.registryLogin(client, "acme+deployer", newToken)
                XCTAssertEqual(newLogin, 200)
                let deleted = try await world.aliceAPI.delete("\(base)/deployer")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                let afterDelete = try await world.aliceAPI.get(base)
                XCTAssertEqual(OrgKit.objects(afterDelete.json["robots"]).count, 0)
                let devs = try await world.aliceAPI.get("/api/v1/organization/acme/team/devs/members")
                XCTAssertEqual(OrgKit.names(devs.json["members"]), ["bob"], "a deleted robot leaves its teams")
            }
        }
    }
}
