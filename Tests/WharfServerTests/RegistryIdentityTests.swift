import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// Robots, teams, OAuth scopes and `$oauthtoken` as registry identities: who may pull, push and create
/// repositories on `/v2`, with Basic credentials and through the token endpoint.
final class RegistryIdentityTests: XCTestCase {

    func testRobotLogsInAndCreatesRepositoriesThroughACreatorTeam() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let fixture = QuayOrgFixture(quay: try await server.quay(client, as: alice))
                try await fixture.createOrganization("acme")
                let token = try await fixture.createRobot("acme", "deployer")
                XCTAssertEqual(token.count, 64)
                try await fixture.saveTeam("acme", "deployers", role: "creator")
                try await fixture.addMember("acme", team: "deployers", "acme+deployer")
                let robot = HTTPFields.basic("acme+deployer", token)

                let login = try await client.execute(uri: "/v2/", method: .get, headers: robot)
                XCTAssertEqual(login.status, .ok, "docker login -u 'acme+deployer' -p <token>")

                _ = try await RegistryCalls(client: client, auth: robot).pushImage("acme/direct", tag: "v1")
                let direct = try await server.server.store.repository(namespace: "acme", name: "direct")
                XCTAssertEqual(direct?.visibility, .private, "a first push creates a private repository")
                let pulled = try await client.execute(uri: "/v2/acme/direct/manifests/v1", method: .get, headers: robot)
                XCTAssertEqual(pulled.status, .ok)

                let issued = try await RegistryTokens.request(client, server: server, auth: robot, scope: "repository:acme/viatoken:push,pull")
                XCTAssertEqual(issued.response.status, .ok, issued.response.text)
                XCTAssertEqual(issued.claims?["sub"] as? String, "acme+deployer")
                let robotContext = issued.claims?["context"] as? [String: Any]
                XCTAssertEqual(robotContext?["entity_kind"] as? String, "robot")
                XCTAssertEqual(robotContext?["kind"] as? String, "user", "Quay's context kind for robots")
                XCTAssertEqual(robotContext?["entity_reference"] as? String, "acme+deployer", "Quay references a robot by name")
                XCTAssertEqual(Set(RegistryTokens.actions(issued.claims, on: "acme/viatoken")), ["push", "pull"])
                let created = try await server.server.store.repository(namespace: "acme", name: "viatoken")
                XCTAssertNotNil(created, "the token endpoint creates the repository a push is granted for")
                let bearer: HTTPFields = [.authorization: "Bearer \(try XCTUnwrap(issued.token))"]
                _ = try await RegistryCalls(client: client, auth: bearer).pushImage("acme/viatoken", tag: "v1")

                let elsewhere = try await client.execute(uri: "/v2/alice/mine/blobs/uploads/", method: .post, headers: robot)
                XCTAssertEqual(elsewhere.status, .unauthorized, "an organization's robot cannot create repositories in a user's namespace")
                let aliceRepo = try await server.server.store.repository(namespace: "alice", name: "mine")
                XCTAssertNil(aliceRepo)
            }
        }
    }

    func testWrongRegeneratedAndDeletedRobotTokensAreRefused() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let fixture = QuayOrgFixture(quay: try await server.quay(client, as: alice))
                try await fixture.createOrganization("acme")
                let token = try await fixture.createRobot("acme", "deployer")

                for (user, password) in [("acme+deployer", String(token.reversed())), ("acme+deployer", ""), ("acme+nobody", token), ("deployer", token)] {
                    let login = try await client.execute(uri: "/v2/", method: .get, headers: .basic(user, password))
                    XCTAssertEqual(login.status, .unauthorized, "\(user)")
                    XCTAssertEqual(login.errorCode, "UNAUTHORIZED")
                    let issued = try await RegistryTokens.request(client, server: server, auth: .basic(user, password),
                                                                  scope: "repository:acme/app:pull")
                    XCTAssertEqual(issued.response.status, .unauthorized, "\(user)")
                    XCTAssertNil(issued.token)
                }
                let good = try await client.execute(uri: "/v2/", method: .get, headers: .basic("acme+deployer", token))
                XCTAssertEqual(good.status, .ok)

                let regenerated = try await fixture.quay.post("/api/v1/organization/acme/robots/deployer/regenerate")
                XCTAssertEqual(regenerated.status, .ok, regenerated.text)
                let newToken = try XCTUnwrap(regenerated.json["token"] as? String)
                XCTAssertNotEqual(newToken, token)
                let old = try await client.execute(uri: "/v2/", method: .get, headers: .basic("acme+deployer", token))
                XCTAssertEqual(old.status, .unauthorized, "the old token stops working when regenerated")
                let new = try await client.execute(uri: "/v2/", method: .get, headers: .basic("acme+deployer", newToken))
                XCTAssertEqual(new.status, .ok)

                let deleted = try await fixture.quay.delete("/api/v1/organization/acme/robots/deployer")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                let afterDelete = try await client.execute(uri: "/v2/", method: .get, headers: .basic("acme+deployer", newToken))
                XCTAssertEqual(afterDelete.status, .unauthorized, "a deleted robot cannot log in")
            }
        }
    }

    func testReadOnlyRobotPullsButCannotPush() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let fixture = QuayOrgFixture(quay: try await server.quay(client, as: alice))
                try await fixture.createOrganization("acme")
                let manifest = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("acme/app", tag: "v1")
                _ = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("acme/hidden", tag: "v1")
                let token = try await fixture.createRobot("acme", "reader")
                try await fixture.grantUser("acme/app", "acme+reader", role: "read")
                let robot = HTTPFields.basic("acme+reader", token)

                let pull = try await client.execute(uri: "/v2/acme/app/manifests/v1", method: .get, headers: robot)
                XCTAssertEqual(pull.status, .ok)
                XCTAssertEqual(Data(pull.body.readableBytesView), manifest)
                let catalog = try await client.execute(uri: "/v2/_catalog", method: .get, headers: robot)
                XCTAssertEqual(catalog.json["repositories"] as? [String], ["acme/app"], "the catalog lists what the robot may read")

                let push = try await client.execute(uri: "/v2/acme/app/blobs/uploads/", method: .post, headers: robot)
                XCTAssertEqual(push.status, .unauthorized)
                let delete = try await client.execute(uri: "/v2/acme/app/manifests/v1", method: .delete, headers: robot)
                XCTAssertEqual(delete.status, .unauthorized)
                let hidden = try await client.execute(uri: "/v2/acme/hidden/manifests/v1", method: .get, headers: robot)
                XCTAssertEqual(hidden.status, .unauthorized, "no permission on the other repository")
                let create = try await client.execute(uri: "/v2/acme/newrepo/blobs/uploads/", method: .post, headers: robot)
                XCTAssertEqual(create.status, .unauthorized)
                let notCreated = try await server.server.store.repository(namespace: "acme", name: "newrepo")
                XCTAssertNil(notCreated)

                let issued = try await RegistryTokens.request(client, server: server, auth: robot, scope: "repository:acme/app:pull,push")
                XCTAssertEqual(issued.response.status, .ok)
                XCTAssertEqual(RegistryTokens.actions(issued.claims, on: "acme/app"), ["pull"], "push is silently left out")
                let bearer: HTTPFields = [.authorization: "Bearer \(try XCTUnwrap(issued.token))"]
                let viaToken = try await client.execute(uri: "/v2/acme/app/manifests/v1", method: .get, headers: bearer)
                XCTAssertEqual(viaToken.status, .ok)
                let pushViaToken = try await client.execute(uri: "/v2/acme/app/blobs/uploads/", method: .post, headers: bearer)
                XCTAssertEqual(pushViaToken.status, .unauthorized, "a valid token without push is refused with 401 insufficient_scope")
                XCTAssertEqual(pushViaToken.header("WWW-Authenticate")?.hasSuffix(#"scope="repository:acme/app:pull,push",error="insufficient_scope""#), true)
                let newViaToken = try await RegistryTokens.request(client, server: server, auth: robot, scope: "repository:acme/newrepo:push,pull")
                XCTAssertEqual(RegistryTokens.actions(newViaToken.claims, on: "acme/newrepo"), [])

                try await fixture.grantUser("acme/app", "acme+reader", role: "write")
                _ = try await RegistryCalls(client: client, auth: robot).pushImage("acme/app", tag: "v2", layer: "from the robot")
            }
        }
    }

    func testTeamRolesDecideWhoCreatesAndWhoPulls() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            for name in ["bob", "carol", "dave"] { try await server.user(name) }
            try await server.run { client in
                let fixture = QuayOrgFixture(quay: try await server.quay(client, as: alice))
                try await fixture.createOrganization("acme")
                try await fixture.saveTeam("acme", "viewers", role: "member")
                try await fixture.saveTeam("acme", "builders", role: "creator")
                try await fixture.saveTeam("acme", "admins", role: "admin")
                try await fixture.addMember("acme", team: "viewers", "bob")
                try await fixture.addMember("acme", team: "builders", "carol")
                try await fixture.addMember("acme", team: "admins", "dave")
                _ = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("acme/app", tag: "v1")
                let carol = HTTPFields.basic("carol", "password1"), dave = HTTPFields.basic("dave", "password1")

                let memberPush = try await client.execute(uri: "/v2/acme/bobrepo/blobs/uploads/", method: .post, headers: Auth.bob)
                XCTAssertEqual(memberPush.status, .unauthorized, "a member team cannot create repositories")
                let memberToken = try await RegistryTokens.request(client, server: server, auth: Auth.bob, scope: "repository:acme/bobrepo:push,pull")
                XCTAssertEqual(memberToken.response.status, .ok)
                XCTAssertEqual(RegistryTokens.actions(memberToken.claims, on: "acme/bobrepo"), [])
                let bobRepo = try await server.server.store.repository(namespace: "acme", name: "bobrepo")
                XCTAssertNil(bobRepo)
                let memberPull = try await client.execute(uri: "/v2/acme/app/manifests/v1", method: .get, headers: Auth.bob)
                XCTAssertEqual(memberPull.status, .unauthorized, "team membership alone grants no repository")

                _ = try await RegistryCalls(client: client, auth: carol).pushImage("acme/carolrepo", tag: "v1")
                let carolRepo = try await server.server.store.repository(namespace: "acme", name: "carolrepo")
                XCTAssertNotNil(carolRepo, "a creator team member creates repositories by pushing")
                let carolAccount = try await server.server.store.account(named: "carol")
                let carolRole = try await server.server.store.explicitRole(accountID: try XCTUnwrap(carolAccount).id, repositoryID: try XCTUnwrap(carolRepo).id)
                XCTAssertEqual(carolRole, .admin, "the creator of a repository gets admin on it")
                let carolPull = try await client.execute(uri: "/v2/acme/carolrepo/manifests/v1", method: .get, headers: carol)
                XCTAssertEqual(carolPull.status, .ok)
                let creatorOnOther = try await client.execute(uri: "/v2/acme/app/manifests/v1", method: .get, headers: carol)
                XCTAssertEqual(creatorOnOther.status, .unauthorized, "creating is not reading others' repositories")

                for repository in ["acme/app", "acme/carolrepo"] {
                    let pull = try await client.execute(uri: "/v2/\(repository)/manifests/v1", method: .get, headers: dave)
                    XCTAssertEqual(pull.status, .ok, "an admin team member pulls \(repository)")
                }
                let adminToken = try await RegistryTokens.request(client, server: server, auth: dave, scope: "repository:acme/app:pull,push,*")
                XCTAssertEqual(Set(RegistryTokens.actions(adminToken.claims, on: "acme/app")), ["pull", "push", "*"])

                try await fixture.grantTeam("acme/app", "viewers", role: "read")
                let grantedPull = try await client.execute(uri: "/v2/acme/app/manifests/v1", method: .get, headers: Auth.bob)
                XCTAssertEqual(grantedPull.status, .ok, "a team permission gives its members the role")
                let grantedPush = try await client.execute(uri: "/v2/acme/app/blobs/uploads/", method: .post, headers: Auth.bob)
                XCTAssertEqual(grantedPush.status, .unauthorized)
            }
        }
    }

    func testOAuthScopesDecideCreationOnPush() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                try await QuayOrgFixture(quay: try await server.quay(client, as: alice)).createOrganization("acme")
                let writer = HTTPFields.basic("$oauthtoken", try await server.token(for: alice, scopes: [.repoRead, .repoWrite]))
                let creator = HTTPFields.basic("$oauthtoken", try await server.token(for: alice, scopes: [.repoRead, .repoWrite, .repoCreate]))

                for namespace in ["alice", "acme"] {
                    let refused = try await client.execute(uri: "/v2/\(namespace)/fromwriter/blobs/uploads/", method: .post, headers: writer)
                    XCTAssertEqual(refused.status, .unauthorized, "repo:write without repo:create creates nothing in \(namespace)")
                    let viaToken = try await RegistryTokens.request(client, server: server, auth: writer,
                                                                    scope: "repository:\(namespace)/fromwriter:push,pull")
                    XCTAssertEqual(viaToken.response.status, .ok)
                    XCTAssertEqual(RegistryTokens.actions(viaToken.claims, on: "\(namespace)/fromwriter"), [])
                    let notCreated = try await server.server.store.repository(namespace: namespace, name: "fromwriter")
                    XCTAssertNil(notCreated)

                    _ = try await RegistryCalls(client: client, auth: creator).pushImage("\(namespace)/fromcreator", tag: "v1")
                    let created = try await server.server.store.repository(namespace: namespace, name: "fromcreator")
                    XCTAssertNotNil(created, "repo:create creates in \(namespace)")

                    _ = try await RegistryCalls(client: client, auth: writer).pushImage("\(namespace)/fromcreator", tag: "v2", layer: "writer")
                    let pulled = try await client.execute(uri: "/v2/\(namespace)/fromcreator/manifests/v2", method: .get, headers: writer)
                    XCTAssertEqual(pulled.status, .ok, "repo:write pushes to an existing repository")
                }

                let issued = try await RegistryTokens.request(client, server: server, auth: creator, scope: "repository:alice/viatoken:push,pull")
                XCTAssertEqual(Set(RegistryTokens.actions(issued.claims, on: "alice/viatoken")), ["push", "pull"])
                let context = issued.claims?["context"] as? [String: Any]
                XCTAssertEqual(context?["entity_kind"] as? String, "oauthtoken")
                XCTAssertEqual(context?["kind"] as? String, "oauth")
                XCTAssertEqual(context?["user"] as? String, "alice")
                XCTAssertEqual(issued.claims?["sub"] as? String, "alice")

                let bogus = try await client.execute(uri: "/v2/", method: .get, headers: .basic("$oauthtoken", String(repeating: "A", count: 40)))
                XCTAssertEqual(bogus.status, .unauthorized)
                let userOnly = HTTPFields.basic("$oauthtoken", try await server.token(for: alice, scopes: [.userRead]))
                let noRepoScope = try await client.execute(uri: "/v2/alice/fromcreator/manifests/v1", method: .get, headers: userOnly)
                XCTAssertEqual(noRepoScope.status, .unauthorized, "a token without repo scopes reads nothing")
            }
        }
    }
}
