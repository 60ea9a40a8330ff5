import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import WharfOCI
import XCTest

/// Who may call which organization, team, robot, permission, prototype and superuser endpoint: a table
/// of endpoints × callers with the exact status Quay gives each (quay.md §3.0, §4.2, §4.3).
///
/// Quay checks permission before existence, so refusals are 401 for callers without a (valid)
/// credential and 403 for authenticated ones. A robot's token is not an OAuth token: as a bearer it is
/// an unknown token (401). OAuth scopes cap roles: the organization administrator's token with only
/// `repo:read` is neither a member nor an administrator of the organization and only reads repositories.
/// Superusers get no organization access without `FEATURE_SUPERUSERS_FULL_ACCESS`.
final class QuayAccessMatrixTests: XCTestCase {
    enum Caller: String, CaseIterable {
        case anonymous
        case plainUser = "plain user (no relation)"
        case orgMember = "org member (team role member)"
        case creator = "creator (team role creator)"
        case orgAdmin = "org admin"
        case robotBearer = "robot token as bearer"
        case scopedAdmin = "org admin's token with only repo:read"
        case superuser = "superuser (no full access)"
    }

    /// One row: an endpoint and the status each caller gets.
    struct Row {
        let name: String
        let method: HTTPRequest.Method
        let path: String
        let body: [String: Any]?
        let expected: [Caller: Int]
        /// Restores what the call needs before each cell (what a successful earlier cell deleted or created).
        let prepare: (() async throws -> Void)?

        // swiftlint:disable:next function_parameter_count
        init(_ name: String, _ method: HTTPRequest.Method, _ path: String, body: [String: Any]? = nil,
             anonymous: Int, plain: Int, member: Int, creator: Int, admin: Int, robot: Int, scoped: Int, superuser: Int,
             prepare: (() async throws -> Void)? = nil) {
            self.name = name
            self.method = method
            self.path = path
            self.body = body
            expected = [.anonymous: anonymous, .plainUser: plain, .orgMember: member, .creator: creator, .orgAdmin: admin,
                        .robotBearer: robot, .scopedAdmin: scoped, .superuser: superuser]
            self.prepare = prepare
        }

        /// Only the organization's administrator succeeds (with `status`).
        static func adminOnly(_ name: String, _ method: HTTPRequest.Method, _ path: String, body: [String: Any]? = nil,
                              status: Int = 200, prepare: (() async throws -> Void)? = nil) -> Row {
            Row(name, method, path, body: body, anonymous: 401, plain: 403, member: 403, creator: 403, admin: status, robot: 401,
                scoped: 403, superuser: 403, prepare: prepare)
        }
    }

    /// The organization `acme` (alice in owners), `member` in team readers (role member), `maker` in team
    /// builders (role creator), `plain` outside it, `admin` a superuser, `outsider` a user the table
    /// grants things to, and the robot `acme+bot`.
    struct Fixture {
        let callers: [Caller: QuayClient]
        let clientID: String
        let alice: AccountRecord
        let organization: AccountRecord
        let store: MetadataStore
    }

    static func fixture(_ server: TestServer, _ client: any TestClientProtocol) async throws -> Fixture {
        let alice = try await server.user("alice")
        let member = try await server.user("member")
        let maker = try await server.user("maker")
        let plain = try await server.user("plain")
        let superuser = try await server.user("admin")
        try await server.user("outsider")
        let aliceAPI = try await server.quay(client, as: alice)
        try await OrgKit.createOrganization(aliceAPI, "acme", email: "acme@example.com")
        try await OrgKit.saveTeam(aliceAPI, "acme", "readers", role: "member")
        try await OrgKit.addMember(aliceAPI, "acme", "readers", "member")
        try await OrgKit.saveTeam(aliceAPI, "acme", "builders", role: "creator")
        try await OrgKit.addMember(aliceAPI, "acme", "builders", "maker")
        let robotToken = try await OrgKit.createRobot(aliceAPI, prefix: "/api/v1/organization/acme/robots", "bot")
        let found = try await server.server.store.account(named: "acme")
        let organization = try XCTUnwrap(found)
        _ = try await server.server.store.createRepository(namespaceID: organization.id, name: "app", visibility: .private, creatorID: alice.id)
        let application = try await aliceAPI.post("/api/v1/organization/acme/applications", ["name": "CI"])
        let clientID = try XCTUnwrap(application.json["client_id"] as? String, application.text)
        let prototype = try await aliceAPI.post("/api/v1/organization/acme/prototypes", ["role": "read", "delegate": ["name": "outsider", "kind": "user"]])
        XCTAssertEqual(prototype.status, .ok, prototype.text)

        let callers: [Caller: QuayClient] = [
            .anonymous: QuayClient(client: client, token: nil),
            .plainUser: try await server.quay(client, as: plain),
            .orgMember: try await server.quay(client, as: member),
            .creator: try await server.quay(client, as: maker),
            .orgAdmin: aliceAPI,
            .robotBearer: QuayClient(client: client, token: robotToken),
            .scopedAdmin: try await server.quay(client, as: alice, scopes: [.repoRead]),
            .superuser: try await server.quay(client, as: superuser),
        ]
        return Fixture(callers: callers, clientID: clientID, alice: alice, organization: organization, store: server.server.store)
    }

    /// Runs every cell of `rows` for `callers`, in table order and again in reverse (so no cell depends on the one before).
    static func run(_ rows: [Row], _ fixture: Fixture, callers: [Caller] = Caller.allCases,
                    file: StaticString = #filePath, line: UInt = #line) async throws {
        var cells: [(Row, Caller)] = []
        for row in rows {
            for caller in callers { cells.append((row, caller)) }
        }
        for (pass, order) in [("forward", cells), ("reverse", Array(cells.reversed()))] {
            for (row, caller) in order {
                let expected = try XCTUnwrap(row.expected[caller], "\(row.name): no expectation for \(caller.rawValue)", file: file, line: line)
                let quay = try XCTUnwrap(fixture.callers[caller], file: file, line: line)
                try await row.prepare?()
                let response = try await quay.call(row.method, row.path, json: row.body)
                let cell = "\(row.name) [\(row.method) \(row.path)] as \(caller.rawValue) (\(pass) pass)"
                XCTAssertEqual(response.status.code, expected, "\(cell): expected \(expected), got \(response.status.code) \(response.text)",
                               file: file, line: line)
                guard response.status.code == expected else { continue }
                switch expected {
                case 401: XCTAssertEqual(response.json["error_type"] as? String, "invalid_token", "\(cell): \(response.text)", file: file, line: line)
                case 403: XCTAssertEqual(response.json["error_type"] as? String, "insufficient_scope", "\(cell): \(response.text)", file: file, line: line)
                case 404: XCTAssertEqual(response.json["error_type"] as? String, "not_found", "\(cell): \(response.text)", file: file, line: line)
                default: break
                }
            }
        }
    }

    func testAccessMatrix() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let fixture = try await Self.fixture(server, client)
                let store = fixture.store
                let alice = fixture.alice
                let acme = fixture.organization
                let org = "/api/v1/organization/acme"
                let repo = "/api/v1/repository/acme/app"

                /// The organization `doomed` (alice administers it), re-created after a successful delete.
                let doomedOrganization: () async throws -> Void = {
                    if try await store.account(named: "doomed") == nil {
                        _ = try await store.createOrganization(name: "doomed", email: nil, creatorID: alice.id)
                    }
                }
                /// The team `doomed` of acme, re-created after a successful delete.
                let doomedTeam: () async throws -> Void = {
                    _ = try await store.saveTeam(organizationID: acme.id, name: "doomed", role: .member, description: nil)
                }
                /// No robot `acme+fresh`, so that creating it succeeds for the administrator.
                let noFreshRobot: () async throws -> Void = {
                    if let robot = try await store.account(named: "acme+fresh") { try await store.deleteAccount(id: robot.id) }
                }

                let rows: [Row] = [
                    // Organizations.
                    Row("org get", .get, org,
                        anonymous: 200, plain: 200, member: 200, creator: 200, admin: 200, robot: 401, scoped: 200, superuser: 200),
                    .adminOnly("org put", .put, org, body: ["email": "acme@example.com"]),
                    .adminOnly("org delete", .delete, "/api/v1/organization/doomed", status: 204, prepare: doomedOrganization),
                    Row("missing org members", .get, "/api/v1/organization/ghost/members",
                        anonymous: 401, plain: 403, member: 403, creator: 403, admin: 403, robot: 401, scoped: 403, superuser: 403),
                    .adminOnly("org members", .get, "\(org)/members"),
                    .adminOnly("org member", .get, "\(org)/members/member"),
                    .adminOnly("org collaborators", .get, "\(org)/collaborators"),
                    // OAuth applications.
                    .adminOnly("applications list", .get, "\(org)/applications"),
                    .adminOnly("application get", .get, "\(org)/applications/\(fixture.clientID)"),
                    Row("application info", .get, "/api/v1/app/\(fixture.clientID)",
                        anonymous: 200, plain: 200, member: 200, creator: 200, admin: 200, robot: 401, scoped: 200, superuser: 200),
                    // Teams.
                    .adminOnly("team put (same role)", .put, "\(org)/team/readers", body: ["role": "member"]),
                    .adminOnly("team delete", .delete, "\(org)/team/doomed", status: 204, prepare: doomedTeam),
                    Row("team members (readers)", .get, "\(org)/team/readers/members",
                        anonymous: 401, plain: 403, member: 200, creator: 403, admin: 200, robot: 401, scoped: 403, superuser: 403),
                    Row("team members (builders)", .get, "\(org)/team/builders/members",
                        anonymous: 401, plain: 403, member: 403, creator: 200, admin: 200, robot: 401, scoped: 403, superuser: 403),
                    .adminOnly("team member add", .put, "\(org)/team/readers/members/outsider"),
                    .adminOnly("team permissions", .get, "\(org)/team/readers/permissions"),
                    Row("team syncing", .post, "\(org)/team/readers/syncing", body: ["group_dn": "cn=readers"],
                        anonymous: 401, plain: 403, member: 403, creator: 403, admin: 403, robot: 401, scoped: 403, superuser: 403),
                    // Robots.
                    Row("org robots list", .get, "\(org)/robots",
                        anonymous: 401, plain: 403, member: 200, creator: 200, admin: 200, robot: 401, scoped: 403, superuser: 403),
                    .adminOnly("org robot get", .get, "\(org)/robots/bot"),
                    .adminOnly("org robot put", .put, "\(org)/robots/fresh", status: 201, prepare: noFreshRobot),
                    .adminOnly("org robot permissions", .get, "\(org)/robots/bot/permissions"),
                    Row("user robots list", .get, "/api/v1/user/robots",
                        anonymous: 401, plain: 200, member: 200, creator: 200, admin: 200, robot: 401, scoped: 403, superuser: 200),
                    // Repository permissions.
                    .adminOnly("repo user permissions", .get, "\(repo)/permissions/user/"),
                    .adminOnly("repo team permissions", .get, "\(repo)/permissions/team/"),
                    .adminOnly("repo user permission put", .put, "\(repo)/permissions/user/outsider", body: ["role": "read"]),
                    .adminOnly("repo team permission put", .put, "\(repo)/permissions/team/readers", body: ["role": "read"]),
                    Row("missing repo permissions", .get, "/api/v1/repository/acme/ghost/permissions/user/",
                        anonymous: 401, plain: 403, member: 403, creator: 403, admin: 404, robot: 401, scoped: 403, superuser: 403),
                    // Prototypes.
                    .adminOnly("prototypes list", .get, "\(org)/prototypes"),
                    .adminOnly("prototype create", .post, "\(org)/prototypes", body: ["role": "read", "delegate": ["name": "outsider", "kind": "user"]]),
                    // Superuser and current user.
                    Row("superuser users list", .get, "/api/v1/superuser/users/",
                        anonymous: 401, plain: 403, member: 403, creator: 403, admin: 403, robot: 401, scoped: 403, superuser: 200),
                    // Quay's User.get raises InvalidToken (401) whenever UserReadPermission fails, a token without
                    // user:read included (see testCurrentUserWithATokenLackingUserReadIsAnInvalidToken).
                    Row("current user", .get, "/api/v1/user/",
                        anonymous: 401, plain: 200, member: 200, creator: 200, admin: 200, robot: 401, scoped: 401, superuser: 200),
                ]
                try await Self.run(rows, fixture)

                // The table's calls changed nothing they should not have: acme and its robot are intact.
                let acmeNow = try await store.account(named: "acme")
                XCTAssertEqual(acmeNow?.email, "acme@example.com")
                let bot = try await store.account(named: "acme+bot")
                XCTAssertNotNil(bot)
                let readers = try await store.team(organizationID: acme.id, name: "readers")
                XCTAssertEqual(readers?.role, .member)
            }
        }
    }

    /// Repository content (issue 4's endpoints): the team `readers` may read `acme/app`; the creator team
    /// has no role on it; the `repo:read` token reads but neither writes nor administers.
    func testRepositoryContentMatrix() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let fixture = try await Self.fixture(server, client)
                let admin = try XCTUnwrap(fixture.callers[.orgAdmin])
                try await OrgKit.grant(admin, "acme/app", team: "readers", role: "read")
                let registry = RegistryCalls(client: client, auth: .basic("alice", "password1"))
                let digest = Digest.of(try await registry.pushImage("acme/app", tag: "v1")).description
                let repo = "/api/v1/repository/acme/app"
                let recreateGone: () async throws -> Void = {
                    let response = try await admin.put("\(repo)/tag/gone", ["manifest_digest": digest])
                    XCTAssertEqual(response.status.code, 201, response.text)
                }
                func reader(_ name: String, _ method: HTTPRequest.Method, _ path: String, status: Int = 200) -> Row {
                    Row(name, method, path, anonymous: 401, plain: 403, member: status, creator: 403, admin: status, robot: 401,
                        scoped: status, superuser: 403)
                }
                func writer(_ name: String, _ method: HTTPRequest.Method, _ path: String, body: [String: Any]? = nil, status: Int,
                            prepare: (() async throws -> Void)? = nil) -> Row {
                    Row(name, method, path, body: body, anonymous: 401, plain: 403, member: 403, creator: 403, admin: status, robot: 401,
                        scoped: 403, superuser: 403, prepare: prepare)
                }
                let rows: [Row] = [
                    reader("repo get", .get, repo),
                    reader("tag list", .get, "\(repo)/tag/"),
                    writer("tag move", .put, "\(repo)/tag/v2", body: ["manifest_digest": digest], status: 201),
                    writer("tag delete", .delete, "\(repo)/tag/gone", status: 204, prepare: recreateGone),
                    writer("tag restore", .post, "\(repo)/tag/v1/restore", body: ["manifest_digest": digest], status: 200),
                    reader("manifest get", .get, "\(repo)/manifest/\(digest)"),
                    reader("labels list", .get, "\(repo)/manifest/\(digest)/labels"),
                    writer("label add", .post, "\(repo)/manifest/\(digest)/labels",
                           body: ["key": "team", "value": "blue", "media_type": "text/plain"], status: 201),
                    reader("security without a scanner", .get, "\(repo)/manifest/\(digest)/security", status: 404),
                    .adminOnly("repo logs", .get, "\(repo)/logs"),
                    .adminOnly("repo aggregate logs", .get, "\(repo)/aggregatelogs"),
                    .adminOnly("repo export logs", .post, "\(repo)/exportlogs", body: [:]),
                    Row("org logs", .get, "/api/v1/organization/acme/logs",
                        anonymous: 401, plain: 403, member: 403, creator: 403, admin: 200, robot: 401, scoped: 403, superuser: 403),
                    Row("superuser logs", .get, "/api/v1/superuser/logs",
                        anonymous: 401, plain: 403, member: 403, creator: 403, admin: 403, robot: 401, scoped: 403, superuser: 200),
                    Row("user logs", .get, "/api/v1/user/logs",
                        anonymous: 401, plain: 200, member: 200, creator: 200, admin: 200, robot: 401, scoped: 403, superuser: 200),
                    Row("repository search", .get, "/api/v1/find/repositories?query=app",
                        anonymous: 200, plain: 200, member: 200, creator: 200, admin: 200, robot: 401, scoped: 200, superuser: 200),
                    Row("discovery", .get, "/api/v1/discovery",
                        anonymous: 200, plain: 200, member: 200, creator: 200, admin: 200, robot: 401, scoped: 200, superuser: 200),
                ]
                try await Self.run(rows, fixture)

                // Who finds the private repository: its readers and its administrator only.
                for (caller, finds) in [(Caller.anonymous, false), (.plainUser, false), (.orgMember, true), (.creator, false),
                                        (.orgAdmin, true), (.scopedAdmin, true), (.superuser, false)] {
                    let response = try await XCTUnwrap(fixture.callers[caller]).get("/api/v1/find/repositories?query=app")
                    let names = OrgKit.objects(response.json["results"]).compactMap { $0["name"] as? String }
                    XCTAssertEqual(names.contains("app"), finds, "\(caller.rawValue): \(response.text)")
                }
            }
        }
    }

    /// The matrix cell `GET /api/v1/user/` × "token with only repo:read", with the whole error body. Quay's
    /// `User.get` is `if user is None or user.organization or not UserReadPermission(user.username).can():
    /// raise InvalidToken("Requires authentication", payload={"session_required": False})`, and
    /// `require_scope` is metadata only (quay.md §4.2): a token without `user:read`/`user:admin` gets 401.
    func testCurrentUserWithATokenLackingUserReadIsAnInvalidToken() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let alice = try await server.user("alice")
                let repoReader = try await server.quay(client, as: alice, scopes: [.repoRead])
                let response = try await repoReader.get("/api/v1/user/")
                response.assertAPIError(401, "invalid_token")
                XCTAssertEqual(response.json["session_required"] as? Bool, false, response.text)
            }
        }
    }

    /// With `FEATURE_SUPERUSERS_FULL_ACCESS`, a superuser administers every organization and learns that a
    /// missing one does not exist; nobody else's access changes.
    func testSuperusersWithFullAccess() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database) { $0.superusersFullAccess = true }
            try await server.run { client in
                let fixture = try await Self.fixture(server, client)
                let org = "/api/v1/organization/acme"
                let repo = "/api/v1/repository/acme/app"
                let rows: [Row] = [
                    Row("org put", .put, org, body: ["email": "acme@example.com"],
                        anonymous: 401, plain: 403, member: 403, creator: 403, admin: 200, robot: 401, scoped: 403, superuser: 200),
                    Row("org members", .get, "\(org)/members",
                        anonymous: 401, plain: 403, member: 403, creator: 403, admin: 200, robot: 401, scoped: 403, superuser: 200),
                    Row("missing org members", .get, "/api/v1/organization/ghost/members",
                        anonymous: 401, plain: 403, member: 403, creator: 403, admin: 403, robot: 401, scoped: 403, superuser: 404),
                    Row("org robots list", .get, "\(org)/robots",
                        anonymous: 401, plain: 403, member: 200, creator: 200, admin: 200, robot: 401, scoped: 403, superuser: 200),
                    Row("repo user permissions", .get, "\(repo)/permissions/user/",
                        anonymous: 401, plain: 403, member: 403, creator: 403, admin: 200, robot: 401, scoped: 403, superuser: 200),
                    Row("prototypes list", .get, "\(org)/prototypes",
                        anonymous: 401, plain: 403, member: 403, creator: 403, admin: 200, robot: 401, scoped: 403, superuser: 200),
                ]
                try await Self.run(rows, fixture)

                // A superuser's token without super:user carries no superuser powers.
                let admin = try await server.server.store.account(named: "admin")
                let unprivileged = try await server.quay(client, as: try XCTUnwrap(admin), scopes: [.orgAdmin, .userRead])
                let refused = try await unprivileged.get("\(org)/members")
                refused.assertAPIError(403, "insufficient_scope")
                let users = try await unprivileged.get("/api/v1/superuser/users/")
                users.assertAPIError(403, "insufficient_scope")
            }
        }
    }
}
