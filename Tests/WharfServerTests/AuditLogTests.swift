import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// The audit log: identity actions are recorded with Quay's kinds, their performer, address and metadata.
final class AuditLogTests: XCTestCase {

    /// The entry's metadata as a dictionary (it must be a JSON object).
    static func metadata(_ entry: LogEntryRecord, file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        let object = try? JSONSerialization.jsonObject(with: Data(entry.metadataJson.utf8)) as? [String: Any]
        XCTAssertNotNil(object, "metadata is a JSON object: \(entry.metadataJson)", file: file, line: line)
        return object ?? [:]
    }

    func testIdentityActionsAreLoggedWithQuayKinds() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            let bob = try await server.user("bob")
            try await server.run { client in
                let fixture = QuayOrgFixture(quay: try await server.quay(client, as: alice))
                try await fixture.createOrganization("acme", email: "acme@example.com")
                try await fixture.saveTeam("acme", "builders", role: "creator")
                _ = try await fixture.createRobot("acme", "deployer")
                let appToken = try await fixture.quay.post("/api/v1/user/apptoken", ["title": "laptop"])
                let tokenUUID = try XCTUnwrap((appToken.json["token"] as? [String: Any])?["uuid"] as? String, appToken.text)
                _ = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("acme/app", tag: "v1")
                try await fixture.grantUser("acme/app", "bob", role: "read")
                try await fixture.grantUser("acme/app", "bob", role: "write")
                try await fixture.grantTeam("acme/app", "builders", role: "admin")
                let failed = try await client.execute(uri: "/api/v1/signin", method: .post, headers: [.contentType: "application/json"],
                                                      body: ByteBuffer(string: #"{"username":"alice","password":"not-her-password"}"#))
                XCTAssertEqual(failed.status, .forbidden)
                _ = try await SignedInSession.signIn(client, "bob")

                let store = server.server.store
                let foundAcme = try await store.account(named: "acme")
                let acme = try XCTUnwrap(foundAcme)
                let foundRepository = try await store.repository(namespace: "acme", name: "app")
                let repository = try XCTUnwrap(foundRepository)
                let orgEntries = try await store.logEntries(accountID: acme.id, limit: 100)
                func entries(_ kind: String) -> [LogEntryRecord] { orgEntries.filter { $0.kind == kind } }

                let created = try XCTUnwrap(entries("org_create").first, "\(orgEntries.map(\.kind))")
                XCTAssertEqual(created.performerId, alice.id)
                XCTAssertNotNil(created.ip, "API calls record the caller's address")
                XCTAssertEqual(Self.metadata(created)["namespace"] as? String, "acme")
                XCTAssertEqual(Self.metadata(created)["email"] as? String, "acme@example.com")

                let team = try XCTUnwrap(entries("org_create_team").first)
                XCTAssertEqual(team.performerId, alice.id)
                XCTAssertNotNil(team.ip)
                XCTAssertEqual(Self.metadata(team)["team"] as? String, "builders")

                let robot = try XCTUnwrap(entries("create_robot").first)
                XCTAssertEqual(robot.performerId, alice.id)
                XCTAssertNotNil(robot.ip)
                XCTAssertEqual(Self.metadata(robot)["robot"] as? String, "acme+deployer")

                let added = try XCTUnwrap(entries("add_repo_permission").first, "\(orgEntries.map(\.kind))")
                XCTAssertEqual(added.repositoryId, repository.id)
                XCTAssertEqual(added.performerId, alice.id)
                XCTAssertNotNil(added.ip)
                XCTAssertEqual(Self.metadata(added)["username"] as? String, "bob")
                XCTAssertEqual(Self.metadata(added)["role"] as? String, "read")
                XCTAssertEqual(Self.metadata(added)["repo"] as? String, "app")
                XCTAssertEqual(Self.metadata(added)["namespace"] as? String, "acme")
                let changes = entries("change_repo_permission")
                XCTAssertEqual(changes.count, 2, "changing bob's role and setting the team's: \(orgEntries.map(\.kind))")
                XCTAssertTrue(changes.contains { Self.metadata($0)["username"] as? String == "bob" && Self.metadata($0)["role"] as? String == "write" })
                XCTAssertTrue(changes.contains { Self.metadata($0)["team"] as? String == "builders" && Self.metadata($0)["role"] as? String == "admin" })
                XCTAssertTrue(changes.allSatisfy { $0.repositoryId == repository.id && $0.performerId == alice.id })

                let pushed = try XCTUnwrap(entries("create_repo").first, "a first push logs the repository's creation")
                XCTAssertEqual(pushed.repositoryId, repository.id)
                XCTAssertEqual(pushed.performerId, alice.id)
                XCTAssertEqual(orgEntries.map(\.datetimeMs), orgEntries.map(\.datetimeMs).sorted(by: >), "newest first")

                let aliceEntries = try await store.logEntries(accountID: alice.id, limit: 100)
                let tokenEntry = try XCTUnwrap(aliceEntries.first { $0.kind == "create_app_specific_token" }, "\(aliceEntries.map(\.kind))")
                XCTAssertEqual(tokenEntry.performerId, alice.id)
                XCTAssertNotNil(tokenEntry.ip)
                XCTAssertEqual(Self.metadata(tokenEntry)["app_specific_token_title"] as? String, "laptop")
                XCTAssertEqual(Self.metadata(tokenEntry)["app_specific_token"] as? String, tokenUUID)

                let failure = try XCTUnwrap(aliceEntries.first { $0.kind == "login_failure" }, "\(aliceEntries.map(\.kind))")
                XCTAssertNil(failure.performerId, "a failed sign-in has no performer")
                XCTAssertNotNil(failure.ip)
                XCTAssertEqual(Self.metadata(failure)["username"] as? String, "alice")
                XCTAssertEqual(Self.metadata(failure)["type"] as? String, "quayauth")
                XCTAssertFalse(aliceEntries.contains { $0.kind == "org_create" }, "organization actions are logged in the organization's namespace")

                let bobEntries = try await store.logEntries(accountID: bob.id, limit: 100)
                let success = try XCTUnwrap(bobEntries.first { $0.kind == "login_success" }, "\(bobEntries.map(\.kind))")
                XCTAssertEqual(success.performerId, bob.id)
                XCTAssertNotNil(success.ip)
            }
        }
    }

    func testRevocationsAndDeletionsAreLogged() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let fixture = QuayOrgFixture(quay: try await server.quay(client, as: alice))
                try await fixture.createOrganization("acme")
                _ = try await fixture.createRobot("acme", "deployer")
                let regenerated = try await fixture.quay.post("/api/v1/organization/acme/robots/deployer/regenerate")
                XCTAssertEqual(regenerated.status, .ok)
                let deleted = try await fixture.quay.delete("/api/v1/organization/acme/robots/deployer")
                XCTAssertEqual(deleted.status, .noContent)
                let token = try await fixture.quay.post("/api/v1/user/apptoken", ["title": "laptop"])
                let uuid = try XCTUnwrap((token.json["token"] as? [String: Any])?["uuid"] as? String)
                let revoked = try await fixture.quay.delete("/api/v1/user/apptoken/\(uuid)")
                XCTAssertEqual(revoked.status, .noContent)
                let session = try await SignedInSession.signIn(client, "alice")
                let signOut = try await session.call(.post, "/api/v1/signout", csrf: true)
                XCTAssertEqual(signOut.status, .ok)

                let store = server.server.store
                let foundAcme = try await store.account(named: "acme")
                let acme = try XCTUnwrap(foundAcme)
                let orgKinds = try await store.logEntries(accountID: acme.id, limit: 100).map(\.kind)
                XCTAssertEqual(Array(orgKinds.prefix(3)), ["delete_robot", "regenerate_robot_token", "create_robot"], "\(orgKinds)")
                let aliceEntries = try await store.logEntries(accountID: alice.id, limit: 100)
                let revokedEntry = try XCTUnwrap(aliceEntries.first { $0.kind == "revoke_app_specific_token" }, "\(aliceEntries.map(\.kind))")
                XCTAssertEqual(Self.metadata(revokedEntry)["app_specific_token"] as? String, uuid)
                XCTAssertEqual(revokedEntry.performerId, alice.id)
                let logout = try XCTUnwrap(aliceEntries.first { $0.kind == "logout_success" }, "\(aliceEntries.map(\.kind))")
                XCTAssertEqual(logout.performerId, alice.id)
                XCTAssertNotNil(logout.ip)
            }
        }
    }

    /// `docker login` (a token request without scopes) is a `login_success` in the account's log; a
    /// robot's lands in its owner's log; wrong credentials are a `login_failure`; pushing creates the
    /// repository with a `create_repo` entry carrying the caller's address.
    func testRegistryLoginsAndRepositoryCreationAreLogged() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let service = server.configuration.effectiveServerHostname
                let login = try await client.execute(uri: "/v2/auth?service=\(service)", method: .get, headers: Auth.alice)
                XCTAssertEqual(login.status, .ok, login.text)
                let wrong = try await client.execute(uri: "/v2/auth?service=\(service)", method: .get, headers: .basic("alice", "wrong-password"))
                XCTAssertEqual(wrong.status, .unauthorized)
                let robot = try await server.server.domain.robots.create(
                    owner: alice, shortname: "ci", description: "", unstructuredJSON: "{}",
                    by: Performer(identity: Identity(kind: .user, account: alice, scopes: nil, isSuperuser: false), ip: nil))
                let robotLogin = try await client.execute(uri: "/v2/auth?service=\(service)", method: .get,
                                                          headers: .basic("alice+ci", try XCTUnwrap(robot.token)))
                XCTAssertEqual(robotLogin.status, .ok, robotLogin.text)
                _ = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("alice/app", tag: "v1")

                let entries = try await server.server.store.logEntries(accountID: alice.id, limit: 100)
                let successes = entries.filter { $0.kind == "login_success" }
                XCTAssertEqual(successes.count, 2, "\(entries.map(\.kind))")
                let kinds = Set(successes.map { Self.metadata($0)["kind"] as? String })
                XCTAssertEqual(kinds, ["user", "robot"])
                XCTAssertTrue(successes.allSatisfy { $0.ip != nil && Self.metadata($0)["type"] as? String == "v2auth" })
                let failure = try XCTUnwrap(entries.first { $0.kind == "login_failure" }, "\(entries.map(\.kind))")
                XCTAssertNil(failure.performerId)
                XCTAssertEqual(Self.metadata(failure)["username"] as? String, "alice")
                let created = try XCTUnwrap(entries.first { $0.kind == "create_repo" })
                XCTAssertEqual(created.performerId, alice.id)
                XCTAssertNotNil(created.ip)
                XCTAssertNotNil(created.repositoryId)
                XCTAssertEqual(Self.metadata(created)["repo"] as? String, "app")
            }
        }
    }
}
