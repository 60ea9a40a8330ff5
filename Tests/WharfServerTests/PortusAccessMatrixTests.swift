import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// Who may call each of the 46 Portus endpoints: a table of endpoints × callers with the status each
/// caller gets (portus.md §2.2, §2.5), under the default rules and with Portus's switches changed.
///
/// Callers: no header, a wrong token, a user in no team, and `devs`' viewer, contributor and owner
/// (`devs` owns the private namespace `devspace`), and an administrator. Refusals are 401
/// `Authentication fails`, 403 `Authorization fails`, 405 for the disabled LDAP check.
final class PortusAccessMatrixTests: XCTestCase {
    enum Caller: String, CaseIterable {
        case anonymous = "no Portus-Auth"
        case badToken = "wrong token"
        case outsider
        case viewer
        case contributor
        case owner
        case admin
    }

    /// One endpoint and the status each caller gets. `path` and `body` are evaluated before each cell, so
    /// a cell that deletes or creates something gets a fresh target.
    struct Row {
        let name: String
        let method: HTTPRequest.Method
        let path: () async throws -> String
        let body: () -> Any?
        let expected: [Caller: Int]
        /// Without `Portus-Auth` the path is Quay's (`GET /api/v1/users/{username}`): no Portus answer to check.
        var anonymousIsQuay = false

        // swiftlint:disable:next function_parameter_count
        init(_ name: String, _ method: HTTPRequest.Method, _ path: @escaping () async throws -> String,
             body: @escaping () -> Any? = { nil },
             anonymous: Int = 401, bad: Int = 401, outsider: Int, viewer: Int, contributor: Int, owner: Int, admin: Int) {
            self.name = name
            self.method = method
            self.path = path
            self.body = body
            expected = [.anonymous: anonymous, .badToken: bad, .outsider: outsider, .viewer: viewer, .contributor: contributor, .owner: owner,
                        .admin: admin]
        }

        init(_ name: String, _ method: HTTPRequest.Method, _ fixed: String, body: @escaping () -> Any? = { nil },
             anonymous: Int = 401, bad: Int = 401, outsider: Int, viewer: Int, contributor: Int, owner: Int, admin: Int) {
            self.init(name, method, { fixed }, body: body, anonymous: anonymous, bad: bad, outsider: outsider, viewer: viewer,
                      contributor: contributor, owner: owner, admin: admin)
        }

        /// Administrators only.
        static func adminOnly(_ name: String, _ method: HTTPRequest.Method, _ path: @escaping () async throws -> String,
                              body: @escaping () -> Any? = { nil }, status: Int = 200) -> Row {
            Row(name, method, path, body: body, outsider: 403, viewer: 403, contributor: 403, owner: 403, admin: status)
        }

        /// Any authenticated user gets `status`.
        static func anyUser(_ name: String, _ method: HTTPRequest.Method, _ path: @escaping () async throws -> String,
                            body: @escaping () -> Any? = { nil }, status: Int = 200) -> Row {
            Row(name, method, path, body: body, outsider: status, viewer: status, contributor: status, owner: status, admin: status)
        }

        /// Anyone, with or without a (valid) header, gets `status`.
        static func open(_ name: String, _ method: HTTPRequest.Method, _ path: String, body: @escaping () -> Any? = { nil },
                         status: Int) -> Row {
            Row(name, method, path, body: body, anonymous: status, bad: status, outsider: status, viewer: status, contributor: status, owner: status,
                admin: status)
        }

        /// The team's members and administrators read; others are refused.
        static func members(_ name: String, _ method: HTTPRequest.Method, _ path: @escaping () async throws -> String) -> Row {
            Row(name, method, path, outsider: 403, viewer: 200, contributor: 200, owner: 200, admin: 200)
        }

        /// The team's owners and administrators succeed with `status`; others are refused.
        static func owners(_ name: String, _ method: HTTPRequest.Method, _ path: @escaping () async throws -> String,
                           body: @escaping () -> Any? = { nil }, status: Int = 200) -> Row {
            Row(name, method, path, body: body, outsider: 403, viewer: 403, contributor: 403, owner: status, admin: status)
        }
    }

    /// Fresh names for the things cells create.
    final class Counter: @unchecked Sendable {
        private var value = 0
        /// The name `next` gave last.
        private(set) var last = ""
        func next(_ prefix: String) -> String {
            value += 1
            last = "\(prefix)\(value)"
            return last
        }
    }

    static func callers(_ world: PortusWorld) -> [Caller: PortusClient] {
        [.anonymous: world.anonymous, .badToken: world.badToken, .outsider: world.outsider.api, .viewer: world.viewer.api,
         .contributor: world.contributor.api, .owner: world.owner.api, .admin: world.root.api]
    }

    /// Runs every cell of `rows`, in table order and again in reverse (so no cell depends on the one before).
    static func run(_ rows: [Row], _ world: PortusWorld, callers: [Caller] = Caller.allCases, reverse: Bool = true,
                    file: StaticString = #filePath, line: UInt = #line) async throws {
        let clients = Self.callers(world)
        var cells: [(Row, Caller)] = []
        for row in rows {
            for caller in callers { cells.append((row, caller)) }
        }
        let passes = reverse ? [("forward", cells), ("reverse", Array(cells.reversed()))] : [("forward", cells)]
        for (pass, order) in passes {
            for (row, caller) in order {
                let expected = try XCTUnwrap(row.expected[caller], "\(row.name): no expectation for \(caller.rawValue)", file: file, line: line)
                let path = try await row.path()
                let response = try await clients[caller]!.call(row.method, path, json: row.body())
                let cell = "\(row.name) [\(row.method) \(path)] as \(caller.rawValue) (\(pass) pass)"
                XCTAssertEqual(response.status.code, expected, "\(cell): expected \(expected), got \(response.status.code) \(response.text)",
                               file: file, line: line)
                if row.anonymousIsQuay, caller == .anonymous {
                    XCTAssertNil(response.header("Access-Control-Allow-Origin"), "\(cell): Quay's answer", file: file, line: line)
                    continue
                }
                response.assertPortusCORS(cell, file: file, line: line)
                guard response.status.code == expected else { continue }
                switch expected {
                case 401: response.assertPortus(401, "Authentication fails", cell, file: file, line: line)
                case 403: response.assertPortus(403, "Authorization fails", cell, file: file, line: line)
                case 405: response.assertPortus(405, "this instance has disabled this endpoint", cell, file: file, line: line)
                case 204: XCTAssertEqual(response.body.readableBytes, 0, cell, file: file, line: line)
                default: break
                }
            }
        }
    }

    /// What the rows need: a repository `devspace/app` (tag `v1`), a user `spare` in `devs` as viewer, and
    /// makers of fresh namespaces, repositories, tags, teams, members and tokens.
    struct Targets {
        let world: PortusWorld
        let counter = Counter()
        let repositoryID: Int64
        let tagID: Int64
        let spare: PortusUser
        let spareMembership: Int64

        static func make(_ world: PortusWorld) async throws -> Targets {
            try await world.push("devspace/app", tag: "v1", as: world.owner)
            let repository = try await world.repository("devspace", "app")
            let tags = try await world.tagIDs(repository)
            let tagID = try XCTUnwrap(tags["v1"])
            let spare = try await PortusKit.createUser(world.root.api, "spare")
            let membership = try await PortusKit.addMember(world.owner.api, team: world.teamID, "spare", role: "viewer")
            return Targets(world: world, repositoryID: repository.id, tagID: tagID, spare: spare, spareMembership: membership)
        }

        func namespace(team: String = "devs") async throws -> Int64 {
            try await PortusKit.createNamespace(world.root.api, counter.next("doomed"), team: team)
        }

        func repository() async throws -> Int64 {
            try await world.store.createRepository(namespaceID: world.namespaceID, name: counter.next("doomed"), visibility: .private, creatorID: nil).id
        }

        /// A tag on an image of its own in `devspace/app`.
        func tag() async throws -> Int64 {
            let name = counter.next("doomed")
            try await world.push("devspace/app", tag: name, as: world.owner, layer: name)
            let tags = try await world.tagIDs(try await world.repository("devspace", "app"))
            return try XCTUnwrap(tags[name])
        }

        /// A team of `owner` with `viewer` and `contributor` in their roles.
        func team() async throws -> Int64 {
            let id = try await PortusKit.createTeam(world.root.api, counter.next("doomed"), ownerID: world.owner.id)
            _ = try await world.store.addTeamMember(teamID: id, accountID: world.viewer.id, role: .viewer)
            _ = try await world.store.addTeamMember(teamID: id, accountID: world.contributor.id, role: .contributor)
            return id
        }

        /// A new user, not in `devs`; `counter.last` is its name.
        func joiner() async throws {
            _ = try await PortusKit.quickUser(world.store, counter.next("joiner"))
        }

        /// A new user's membership of `devs`.
        func membership() async throws -> Int64 {
            let user = try await PortusKit.quickUser(world.store, counter.next("member"))
            let added = try await world.store.addTeamMember(teamID: world.teamID, accountID: user.id, role: .viewer)
            return try XCTUnwrap(added).id
        }

        /// Leaves `viewer` with its `cli` token only (the limit is 5).
        func pruneViewerTokens() async throws {
            for token in try await world.store.appTokens(accountID: world.viewer.id) where token.title != "cli" {
                try await world.store.deleteAppToken(id: token.id)
            }
        }

        /// A new token of `viewer`.
        func viewerToken() async throws -> Int64 {
            try await pruneViewerTokens()
            let response = try await world.root.api.post("/api/v1/users/\(world.viewer.id)/application_tokens", ["application": counter.next("token")])
            return try XCTUnwrap(response.id, response.text)
        }
    }

    /// The 46 endpoints under the default rules.
    func testAccessMatrix() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let targets = try await Targets.make(world)
                let counter = targets.counter
                let ns = "/api/v1/namespaces/\(world.namespaceID)"
                let repo = "/api/v1/repositories/\(targets.repositoryID)"
                let team = "/api/v1/teams/\(world.teamID)"
                let registry = try await server.server.store.registrySetting(defaultName: "Wharf")
                let protectedID = try await PortusKit.createNamespace(world.root.api, "shared", team: "devs")
                try await PortusKit.updateNamespace(world.root.api, protectedID, ["visibility": "protected"])

                let rows: [Row] = [
                    // Users.
                    .adminOnly("users list", .get, { "/api/v1/users" }),
                    .adminOnly("user create", .post, { "/api/v1/users" }, body: {
                        let name = counter.next("newuser")
                        return ["user": ["username": name, "email": "\(name)@example.com", "password": "password1"]]
                    }, status: 201),
                {
                    // Without the header, Quay's `GET /api/v1/users/{username}` answers (no user is named with digits).
                    var row = Row("user show", .get, "/api/v1/users/\(world.viewer.id)", anonymous: 404,
                                  outsider: 403, viewer: 403, contributor: 403, owner: 403, admin: 200)
                    row.anonymousIsQuay = true
                    return row
                }(),
                    .adminOnly("user update", .put, { "/api/v1/users/\(targets.spare.id)" }, body: { ["user": ["display_name": counter.next("Spare ")]] }),
                    .adminOnly("user delete", .delete, { "/api/v1/users/\(try await PortusKit.quickUser(world.store, counter.next("gone")).id)" }, status: 204),
                    .open("bootstrap", .post, "/api/v1/users/bootstrap",
                          body: { ["user": ["username": "late", "email": "late@example.com", "password": "password1"]] }, status: 400),
                    Row("tokens list", .get, "/api/v1/users/\(world.viewer.id)/application_tokens",
                        outsider: 403, viewer: 200, contributor: 403, owner: 403, admin: 200),
                    Row("token create", .post, { try await targets.pruneViewerTokens(); return "/api/v1/users/\(world.viewer.id)/application_tokens" },
                        body: { ["application": counter.next("app")] }, outsider: 403, viewer: 201, contributor: 403, owner: 403, admin: 201),
                    Row("token delete", .delete, { "/api/v1/users/application_tokens/\(try await targets.viewerToken())" },
                        outsider: 403, viewer: 204, contributor: 403, owner: 403, admin: 403),
                    // Namespaces.
                    .anyUser("namespaces list", .get, { "/api/v1/namespaces" }),
                    Row("namespace create", .post, "/api/v1/namespaces", body: { ["name": counter.next("made"), "team": "devs"] },
                        outsider: 403, viewer: 403, contributor: 201, owner: 201, admin: 201),
                    .anyUser("namespace validate", .get, { "/api/v1/namespaces/validate?name=devspace" }),
                    .members("namespace show (private)", .get, { ns }),
                    .anyUser("namespace show (protected)", .get, { "/api/v1/namespaces/\(protectedID)" }),
                    .owners("namespace update", .put, { ns }, body: { ["namespace": ["description": counter.next("description ")]] }),
                    .owners("namespace visibility", .put, { "/api/v1/namespaces/\(try await targets.namespace())" },
                            body: { ["namespace": ["visibility": "public"]] }),
                    .owners("namespace delete", .delete, { "/api/v1/namespaces/\(try await targets.namespace())" }, status: 204),
                    Row("personal namespace delete", .delete, "/api/v1/namespaces/\(world.viewer.id)",
                        outsider: 403, viewer: 422, contributor: 403, owner: 403, admin: 422),
                    .members("namespace repositories", .get, { "\(ns)/repositories" }),
                    // Registries.
                    .adminOnly("registries list", .get, { "/api/v1/registries" }),
                    .adminOnly("registry create", .post, { "/api/v1/registries" },
                               body: { ["registry": ["name": "other", "hostname": "other:5000", "use_ssl": false]] }, status: 422),
                    .adminOnly("registry update", .put, { "/api/v1/registries/\(registry.id)" }, body: { ["registry": ["name": "Wharf"]] }),
                    .adminOnly("registry validate", .get, { "/api/v1/registries/validate?name=x&hostname=h&use_ssl=false" }),
                    // Repositories.
                    .anyUser("repositories list", .get, { "/api/v1/repositories" }),
                    .members("repository show", .get, { repo }),
                    .owners("repository update", .put, { repo }, body: { ["repository": ["description": counter.next("about ")]] }),
                    .owners("repository delete", .delete, { "/api/v1/repositories/\(try await targets.repository())" }, status: 204),
                    .members("repository tags", .get, { "\(repo)/tags" }),
                    .members("repository tags grouped", .get, { "\(repo)/tags/grouped" }),
                    .members("repository tag", .get, { "\(repo)/tags/\(targets.tagID)" }),
                    // Tags.
                    .adminOnly("tags list", .get, { "/api/v1/tags" }),
                    .members("tag show", .get, { "/api/v1/tags/\(targets.tagID)" }),
                    .owners("tag delete", .delete, { "/api/v1/tags/\(try await targets.tag())" }, status: 204),
                    // Teams.
                    .anyUser("ldap check", .post, { "\(team)/ldap_check" }, status: 405),
                    .owners("team delete", .delete, { "/api/v1/teams/\(try await targets.team())" }, status: 204),
                    .owners("team update", .put, { team }, body: { ["team": ["description": counter.next("team ")]] }),
                    .members("team show", .get, { team }),
                    .anyUser("team create", .post, { "/api/v1/teams" }, body: { ["name": counter.next("team")] }, status: 201),
                    .anyUser("teams list", .get, { "/api/v1/teams" }),
                    .members("team namespaces", .get, { "\(team)/namespaces" }),
                    .owners("member add", .post, { try await targets.joiner(); return "\(team)/members" },
                            body: { ["user": counter.last, "role": "viewer"] }, status: 201),
                    .members("members list", .get, { "\(team)/members" }),
                    .owners("member update", .put, { "\(team)/members/\(targets.spareMembership)" }, body: { ["role": "viewer"] }),
                    .owners("member remove", .delete, { "\(team)/members/\(try await targets.membership())" }, status: 204),
                    // Vulnerabilities.
                    .adminOnly("rescan all", .post, { "/api/v1/vulnerabilities" }, status: 202),
                    .adminOnly("rescan tag", .post, { "/api/v1/vulnerabilities/\(targets.tagID)" }, status: 202),
                    // Status.
                    .open("health", .get, "/api/v1/health", status: 200),
                    .open("ping", .get, "/api/v1/_ping", status: 200),
                    .anyUser("version", .get, { "/api/version" }),
                ]
                XCTAssertEqual(Set(rows.map { "\($0.method) \($0.name)" }).count, rows.count)
                try await Self.run(rows, world)
            }
        }
    }

    /// `PORTUS_DELETE_ENABLED` off: nobody deletes namespaces, repositories, tags or teams, administrators
    /// included. With `PORTUS_MANAGE_NAMESPACE` off, owners no longer change their namespaces.
    func testDeletionAndNamespaceManagementSwitchedOff() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database) { configuration in
                configuration.portusRules.deleteEnabled = false
                configuration.portusRules.manageNamespace = false
            }
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let targets = try await Targets.make(world)
                let counter = targets.counter
                let all403 = { (name: String, method: HTTPRequest.Method, path: @escaping () async throws -> String) in
                    Row(name, method, path, outsider: 403, viewer: 403, contributor: 403, owner: 403, admin: 403)
                }
                let rows: [Row] = [
                    all403("namespace delete", .delete) { "/api/v1/namespaces/\(try await targets.namespace())" },
                    all403("repository delete", .delete) { "/api/v1/repositories/\(try await targets.repository())" },
                    all403("tag delete", .delete) { "/api/v1/tags/\(try await targets.tag())" },
                    all403("team delete", .delete) { "/api/v1/teams/\(try await targets.team())" },
                    Row("personal namespace delete", .delete, "/api/v1/namespaces/\(world.viewer.id)",
                        outsider: 403, viewer: 403, contributor: 403, owner: 403, admin: 403),
                    Row("namespace update", .put, "/api/v1/namespaces/\(world.namespaceID)",
                        body: { ["namespace": ["description": counter.next("d")]] }, outsider: 403, viewer: 403, contributor: 403, owner: 403, admin: 200),
                    .owners("team update", .put, { "/api/v1/teams/\(world.teamID)" }, body: { ["team": ["description": counter.next("d")]] }),
                    .owners("repository update", .put, { "/api/v1/repositories/\(targets.repositoryID)" },
                            body: { ["repository": ["description": counter.next("d")]] }),
                ]
                try await Self.run(rows, world, reverse: false)
                let repository = try await world.root.api.get("/api/v1/repositories/\(targets.repositoryID)")
                XCTAssertEqual(repository.ordered["destroyable"]?.bool, false, "nobody may delete: \(repository.text)")
            }
        }
    }

    /// `PORTUS_DELETE_CONTRIBUTORS` on: contributors delete namespaces, repositories and tags too (viewers
    /// still do not); teams stay their owners' to delete.
    func testContributorsDeleteWhenAllowed() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database) { $0.portusRules.deleteContributors = true }
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let targets = try await Targets.make(world)
                let contributorsToo = { (name: String, path: @escaping () async throws -> String) in
                    Row(name, .delete, path, outsider: 403, viewer: 403, contributor: 204, owner: 204, admin: 204)
                }
                let rows: [Row] = [
                    contributorsToo("namespace delete") { "/api/v1/namespaces/\(try await targets.namespace())" },
                    contributorsToo("repository delete") { "/api/v1/repositories/\(try await targets.repository())" },
                    contributorsToo("tag delete") { "/api/v1/tags/\(try await targets.tag())" },
                    Row("team delete", .delete, { "/api/v1/teams/\(try await targets.team())" },
                        outsider: 403, viewer: 403, contributor: 403, owner: 204, admin: 204),
                    Row("personal namespace delete", .delete, "/api/v1/namespaces/\(world.viewer.id)",
                        outsider: 403, viewer: 422, contributor: 403, owner: 403, admin: 422),
                    .owners("repository update", .put, { "/api/v1/repositories/\(targets.repositoryID)" },
                            body: { ["repository": ["description": targets.counter.next("d")]] }),
                ]
                try await Self.run(rows, world, reverse: false)
                let repository = try await world.contributor.api.get("/api/v1/repositories/\(targets.repositoryID)")
                XCTAssertEqual(repository.ordered["destroyable"]?.bool, true, repository.text)
                let byViewer = try await world.viewer.api.get("/api/v1/repositories/\(targets.repositoryID)")
                XCTAssertEqual(byViewer.ordered["destroyable"]?.bool, false, byViewer.text)
            }
        }
    }

    /// `PORTUS_CREATE_NAMESPACE`, `PORTUS_CREATE_TEAM`, `PORTUS_MANAGE_TEAM` and `PORTUS_CHANGE_VISIBILITY`
    /// off: only administrators create namespaces and teams, change teams and change visibility.
    func testUserPermissionSwitchesOff() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database) { configuration in
                configuration.portusRules.createNamespace = false
                configuration.portusRules.createTeam = false
                configuration.portusRules.manageTeam = false
                configuration.portusRules.changeVisibility = false
            }
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let targets = try await Targets.make(world)
                let counter = targets.counter
                let adminsOnly = { (name: String, method: HTTPRequest.Method, path: @escaping () async throws -> String,
                                    body: @escaping () -> Any?, status: Int) in
                    Row(name, method, path, body: body, outsider: 403, viewer: 403, contributor: 403, owner: 403, admin: status)
                }
                let rows: [Row] = [
                    adminsOnly("namespace create", .post, { "/api/v1/namespaces" }, { ["name": counter.next("made"), "team": "devs"] }, 201),
                    adminsOnly("team create", .post, { "/api/v1/teams" }, { ["name": counter.next("team")] }, 201),
                    adminsOnly("team update", .put, { "/api/v1/teams/\(world.teamID)" }, { ["team": ["description": counter.next("d")]] }, 200),
                    adminsOnly("namespace visibility", .put, { "/api/v1/namespaces/\(try await targets.namespace())" },
                               { ["namespace": ["visibility": "protected"]] }, 200),
                    .owners("namespace description", .put, { "/api/v1/namespaces/\(world.namespaceID)" },
                            body: { ["namespace": ["description": counter.next("d")]] }),
                    .owners("namespace same visibility", .put, { "/api/v1/namespaces/\(world.namespaceID)" },
                            body: { ["namespace": ["visibility": "private", "description": counter.next("d")]] }),
                    .owners("member add", .post, { try await targets.joiner(); return "/api/v1/teams/\(world.teamID)/members" },
                            body: { ["user": counter.last, "role": "viewer"] }, status: 201),
                ]
                try await Self.run(rows, world, reverse: false)
            }
        }
    }
}
