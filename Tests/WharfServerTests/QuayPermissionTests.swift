import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// `/repository/{repo}/permissions/…`: user, robot and team roles on a repository (quay.md §3.8), and
/// that a granted role is what the registry then allows.
final class QuayPermissionTests: XCTestCase {
    func testUserPermissionsOnAUserRepository() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let alice = try await server.user("alice")
                try await server.user("bob")
                let carol = try await server.user("carol")
                let api = try await server.quay(client, as: alice)
                _ = try await OrgKit.createRobot(api, prefix: "/api/v1/user/robots", "ci")
                _ = try await OrgKit.createRobot(try await server.quay(client, as: carol), prefix: "/api/v1/user/robots", "theirs")
                _ = try await RegistryCalls(client: client, auth: .basic("alice", "password1")).pushImage("alice/app", tag: "v1")
                let base = "/api/v1/repository/alice/app/permissions/user"

                let initial = try await api.get("\(base)/")
                XCTAssertEqual(initial.status, .ok, initial.text)
                let initialPermissions = OrgKit.object(initial.json["permissions"])
                XCTAssertEqual(Set(initialPermissions.keys), ["alice"], "the creator holds admin: \(initial.text)")
                let own = OrgKit.object(initialPermissions["alice"])
                XCTAssertEqual(own["role"] as? String, "admin")
                XCTAssertEqual(own["name"] as? String, "alice")
                XCTAssertEqual(own["is_robot"] as? Bool, false)
                XCTAssertNil(own["is_org_member"], "is_org_member only on organization repositories")
                OrgKit.assertAvatar(own["avatar"], name: "alice", kind: "user")

                for role in ["read", "write", "admin", "read"] {
                    let set = try await api.put("\(base)/bob", ["role": role])
                    XCTAssertEqual(set.status, .ok, set.text)
                    XCTAssertEqual(set.json["role"] as? String, role)
                    XCTAssertEqual(set.json["name"] as? String, "bob")
                    XCTAssertEqual(set.json["is_robot"] as? Bool, false)
                    OrgKit.assertAvatar(set.json["avatar"], name: "bob", kind: "user")
                    let get = try await api.get("\(base)/bob")
                    XCTAssertEqual(get.status, .ok, get.text)
                    XCTAssertEqual(get.json["role"] as? String, role, "GET shows the role just set")
                }
                let robot = try await api.put("\(base)/alice+ci", ["role": "write"])
                XCTAssertEqual(robot.status, .ok, robot.text)
                XCTAssertEqual(robot.json["is_robot"] as? Bool, true)
                XCTAssertEqual(robot.json["name"] as? String, "alice+ci")

                let list = try await api.get("\(base)/")
                let permissions = OrgKit.object(list.json["permissions"])
                XCTAssertEqual(Set(permissions.keys), ["alice", "bob", "alice+ci"], "an object keyed by name")
                XCTAssertEqual(OrgKit.object(permissions["bob"])["role"] as? String, "read")
                XCTAssertEqual(OrgKit.object(permissions["alice+ci"])["role"] as? String, "write")
                XCTAssertEqual(OrgKit.object(permissions["alice+ci"])["is_robot"] as? Bool, true)

                // Refusals (400 {"message"} from the data model; 400 invalid_request from validation).
                let owner = try await api.put("\(base)/alice", ["role": "read"])
                owner.assertMessage(400)
                XCTAssertEqual(owner.json["message"] as? String, "Namespace owner must always be admin.")
                let unknown = try await api.put("\(base)/nobody", ["role": "read"])
                unknown.assertMessage(400)
                let foreignRobot = try await api.put("\(base)/carol+theirs", ["role": "read"])
                foreignRobot.assertMessage(400)
                let badRole = try await api.put("\(base)/bob", ["role": "owner"])
                badRole.assertAPIError(400, "invalid_request")
                let noRole = try await api.put("\(base)/bob", ["rol": "read"])
                XCTAssertEqual(noRole.status.code, 400, noRole.text)
                let noPermission = try await api.get("\(base)/carol")
                noPermission.assertMessage(400)
                XCTAssertEqual(noPermission.json["message"] as? String, "User does not have permission for repo.")
                let stillRead = try await api.get("\(base)/bob")
                XCTAssertEqual(stillRead.json["role"] as? String, "read", "refused changes change nothing")

                let deleted = try await api.delete("\(base)/bob")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                let afterDelete = try await api.get("\(base)/bob")
                afterDelete.assertMessage(400)
                let deleteAgain = try await api.delete("\(base)/bob")
                deleteAgain.assertMessage(400)
                let finalList = try await api.get("\(base)/")
                XCTAssertEqual(Set(OrgKit.object(finalList.json["permissions"]).keys), ["alice", "alice+ci"])
            }
        }
    }

    func testGrantedRolesAreWhatTheRegistryAllows() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let alice = try await server.user("alice")
                let bob = try await server.user("bob")
                let api = try await server.quay(client, as: alice)
                let bobAPI = try await server.quay(client, as: bob)
                _ = try await RegistryCalls(client: client, auth: .basic("alice", "password1")).pushImage("alice/app", tag: "v1")
                let bobAuth = HTTPFields.basic("bob", "password1")
                let blob = Fixtures.blob("bob's blob")
                let path = "/api/v1/repository/alice/app/permissions/user/bob"

                let before = try await client.execute(uri: "/v2/alice/app/tags/list", method: .get, headers: bobAuth)
                XCTAssertEqual(before.status, .unauthorized, "no role, no pull")

                try await OrgKit.grant(api, "alice/app", user: "bob", role: "read")
                let pull = try await client.execute(uri: "/v2/alice/app/tags/list", method: .get, headers: bobAuth)
                XCTAssertEqual(pull.status, .ok, pull.text)
                XCTAssertEqual(pull.json["tags"] as? [String], ["v1"])
                let readerPush = try await RegistryCalls(client: client, auth: bobAuth).pushBlob("alice/app", blob)
                XCTAssertEqual(readerPush, .unauthorized, "read does not allow push")
                let readerAdmin = try await bobAPI.get("/api/v1/repository/alice/app/permissions/user/")
                readerAdmin.assertAPIError(403, "insufficient_scope")

                try await OrgKit.grant(api, "alice/app", user: "bob", role: "write")
                let writerPush = try await RegistryCalls(client: client, auth: bobAuth).pushBlob("alice/app", blob)
                XCTAssertEqual(writerPush, .created, "write allows push")
                let writerAdmin = try await bobAPI.get("/api/v1/repository/alice/app/permissions/user/")
                writerAdmin.assertAPIError(403, "insufficient_scope")

                try await OrgKit.grant(api, "alice/app", user: "bob", role: "admin")
                let adminList = try await bobAPI.get("/api/v1/repository/alice/app/permissions/user/")
                XCTAssertEqual(adminList.status, .ok, "admin may manage permissions: \(adminList.text)")
                let bobGrants = try await bobAPI.put("/api/v1/repository/alice/app/permissions/user/bob", ["role": "admin"])
                XCTAssertEqual(bobGrants.status, .ok, bobGrants.text)

                let revoked = try await api.delete(path)
                XCTAssertEqual(revoked.status, .noContent)
                let afterRevoke = try await client.execute(uri: "/v2/alice/app/tags/list", method: .get, headers: bobAuth)
                XCTAssertEqual(afterRevoke.status, .unauthorized, "a revoked role stops working at once")
                let adminAfterRevoke = try await bobAPI.get("/api/v1/repository/alice/app/permissions/user/")
                adminAfterRevoke.assertAPIError(403, "insufficient_scope")
            }
        }
    }

    func testPermissionEndpointsNeedRepositoryAdmin() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                try await world.repository("app")
                try await OrgKit.grant(world.aliceAPI, "acme/app", user: "bob", role: "write")

                let paths = ["/api/v1/repository/acme/app/permissions/user/", "/api/v1/repository/acme/app/permissions/team/",
                             "/api/v1/repository/acme/app/permissions/user/bob", "/api/v1/repository/acme/app/permissions/user/bob/transitive"]
                for path in paths {
                    let writer = try await world.bobAPI.get(path)
                    XCTAssertEqual(writer.status.code, 403, "writer \(path): \(writer.text)")
                    let outsider = try await world.carolAPI.get(path)
                    XCTAssertEqual(outsider.status.code, 403, "outsider \(path): \(outsider.text)")
                    let anonymous = try await world.anonymous.get(path)
                    XCTAssertEqual(anonymous.status.code, 401, "anonymous \(path): \(anonymous.text)")
                    let admin = try await world.aliceAPI.get(path)
                    XCTAssertEqual(admin.status.code, 200, "admin \(path): \(admin.text)")
                }
                let writerPut = try await world.bobAPI.put("/api/v1/repository/acme/app/permissions/user/carol", ["role": "admin"])
                writerPut.assertAPIError(403, "insufficient_scope")
                let writerDelete = try await world.bobAPI.delete("/api/v1/repository/acme/app/permissions/user/bob")
                writerDelete.assertAPIError(403, "insufficient_scope")

                // Permission before existence: a missing repository is 404 only for who administers the namespace.
                let missing = "/api/v1/repository/acme/missing/permissions/user/"
                let adminMissing = try await world.aliceAPI.get(missing)
                adminMissing.assertAPIError(404, "not_found")
                let memberMissing = try await world.bobAPI.get(missing)
                memberMissing.assertAPIError(403, "insufficient_scope")
                let anonymousMissing = try await world.anonymous.get(missing)
                anonymousMissing.assertAPIError(401, "invalid_token")

                // An OAuth token capped at repo:write cannot administer, even for the organization's admin.
                let capped = try await world.api(world.alice, scopes: [.repoWrite, .orgAdmin])
                let cappedList = try await capped.get("/api/v1/repository/acme/app/permissions/user/")
                XCTAssertEqual(cappedList.status.code, 403, "repo:write caps the role below admin: \(cappedList.text)")
                let repoAdmin = try await world.api(world.alice, scopes: [.repoAdmin])
                let repoAdminList = try await repoAdmin.get("/api/v1/repository/acme/app/permissions/user/")
                XCTAssertEqual(repoAdminList.status.code, 200, repoAdminList.text)
            }
        }
    }

    func testOrganizationRepositoryUserAndTeamPermissions() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                _ = try await OrgKit.createRobot(world.aliceAPI, prefix: "/api/v1/organization/acme/robots", "bot")
                try await OrgKit.saveTeam(world.aliceAPI, "acme", "ops", role: "member")
                try await world.repository("app")
                let base = "/api/v1/repository/acme/app/permissions"

                try await OrgKit.grant(world.aliceAPI, "acme/app", user: "bob", role: "read")
                try await OrgKit.grant(world.aliceAPI, "acme/app", user: "carol", role: "write")
                try await OrgKit.grant(world.aliceAPI, "acme/app", user: "acme+bot", role: "read")
                let users = try await world.aliceAPI.get("\(base)/user/")
                let permissions = OrgKit.object(users.json["permissions"])
                XCTAssertEqual(Set(permissions.keys), ["alice", "bob", "carol", "acme+bot"], users.text)
                XCTAssertEqual(OrgKit.object(permissions["bob"])["is_org_member"] as? Bool, true, "bob is in devs")
                XCTAssertEqual(OrgKit.object(permissions["carol"])["is_org_member"] as? Bool, false, "carol is in no team")
                XCTAssertEqual(OrgKit.object(permissions["acme+bot"])["is_org_member"] as? Bool, true)
                XCTAssertEqual(OrgKit.object(permissions["alice"])["is_org_member"] as? Bool, true)

                // The namespace of an organization repository is the organization: it cannot be granted anything.
                let orgItself = try await world.aliceAPI.put("\(base)/user/acme", ["role": "read"])
                orgItself.assertMessage(400)

                // Teams.
                let noTeams = try await world.aliceAPI.get("\(base)/team/")
                XCTAssertEqual(noTeams.status, .ok, noTeams.text)
                XCTAssertEqual(OrgKit.object(noTeams.json["permissions"]).count, 0)
                let setTeam = try await world.aliceAPI.put("\(base)/team/devs", ["role": "write"])
                XCTAssertEqual(setTeam.status, .ok, setTeam.text)
                XCTAssertEqual(setTeam.json["role"] as? String, "write")
                XCTAssertEqual(setTeam.json["name"] as? String, "devs")
                OrgKit.assertAvatar(setTeam.json["avatar"], name: "devs", kind: "team")
                try await OrgKit.grant(world.aliceAPI, "acme/app", team: "ops", role: "admin")
                let teams = try await world.aliceAPI.get("\(base)/team/")
                let teamPermissions = OrgKit.object(teams.json["permissions"])
                XCTAssertEqual(Set(teamPermissions.keys), ["devs", "ops"], "an object keyed by team name")
                XCTAssertEqual(OrgKit.object(teamPermissions["devs"])["role"] as? String, "write")
                XCTAssertEqual(OrgKit.object(teamPermissions["ops"])["role"] as? String, "admin")
                XCTAssertEqual(OrgKit.object(teamPermissions["ops"])["name"] as? String, "ops")
                let getTeam = try await world.aliceAPI.get("\(base)/team/devs")
                XCTAssertEqual(getTeam.status, .ok, getTeam.text)
                XCTAssertEqual(getTeam.json["role"] as? String, "write")
                let ownersNone = try await world.aliceAPI.get("\(base)/team/owners")
                ownersNone.assertMessage(400)
                let unknownTeam = try await world.aliceAPI.put("\(base)/team/nope", ["role": "read"])
                unknownTeam.assertMessage(400)
                let badRole = try await world.aliceAPI.put("\(base)/team/devs", ["role": "owner"])
                badRole.assertAPIError(400, "invalid_request")

                // Via the team, bob now writes: the effective role is the highest of direct and team roles.
                let bobAuth = HTTPFields.basic("bob", "password1")
                let push = try await RegistryCalls(client: client, auth: bobAuth).pushBlob("acme/app", Fixtures.blob("team write"))
                XCTAssertEqual(push, .created)

                // Transitive: direct and via teams.
                let transitive = try await world.aliceAPI.get("\(base)/user/bob/transitive")
                XCTAssertEqual(transitive.status, .ok, transitive.text)
                let roles = OrgKit.objects(transitive.json["permissions"]).compactMap { $0["role"] as? String }
                XCTAssertEqual(roles.sorted(), ["read", "write"], "direct read and devs' write: \(transitive.text)")
                let carolTransitive = try await world.aliceAPI.get("\(base)/user/carol/transitive")
                XCTAssertEqual(OrgKit.objects(carolTransitive.json["permissions"]).compactMap { $0["role"] as? String }, ["write"])
                try await server.user("dave")
                let none = try await world.aliceAPI.get("\(base)/user/dave/transitive")
                none.assertAPIError(404, "not_found")
                let unknownUser = try await world.aliceAPI.get("\(base)/user/nobody/transitive")
                unknownUser.assertAPIError(404, "not_found")

                // Deleting the team permission.
                let deletedTeam = try await world.aliceAPI.delete("\(base)/team/devs")
                XCTAssertEqual(deletedTeam.status, .noContent, deletedTeam.text)
                let afterTeamDelete = try await world.aliceAPI.get("\(base)/team/devs")
                afterTeamDelete.assertMessage(400)
                let deleteTeamAgain = try await world.aliceAPI.delete("\(base)/team/devs")
                deleteTeamAgain.assertMessage(400)
                let bobAfter = try await RegistryCalls(client: client, auth: bobAuth).pushBlob("acme/app", Fixtures.blob("no more"))
                XCTAssertEqual(bobAfter, .unauthorized, "back to read only")
                let transitiveAfter = try await world.aliceAPI.get("\(base)/user/bob/transitive")
                XCTAssertEqual(OrgKit.objects(transitiveAfter.json["permissions"]).compactMap { $0["role"] as? String }, ["read"])

                // Team permissions on a user repository make no sense: the user's namespace has no teams.
                _ = try await RegistryCalls(client: client, auth: .basic("alice", "password1")).pushImage("alice/own", tag: "v1")
                let userRepoTeam = try await world.aliceAPI.put("/api/v1/repository/alice/own/permissions/team/devs", ["role": "read"])
                userRepoTeam.assertMessage(400)
            }
        }
    }
}
