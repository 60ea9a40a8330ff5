import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// Pagination and ordering of `GET /users`, `/namespaces`, `/teams`, `/repositories` and `/tags`:
/// `page`, `per_page`, `sort_attr`, `sort_order`, `all`, and the `X-…` and `Link` headers (portus.md §2.3).
///
/// Wharf's documented departures from Portus's master: ascending order unless `sort_order` asks
/// otherwise, and `X-Per-Page` is the page size used.
final class PortusPaginationTests: XCTestCase {

    /// Walks every page of `path` with `per_page` and the `extra` query parameters, checking each page's
    /// headers and links; asserts the concatenated `field` values equal `expected`.
    static func walk(_ api: PortusClient, _ path: String, server: TestServer, perPage: Int, extra: [(String, String)] = [],
                     field: String, expected: [String], file: StaticString = #filePath, line: UInt = #line) async throws {
        let total = expected.count
        let pages = max((total + perPage - 1) / perPage, 1)
        let base = "http://\(server.configuration.effectiveServerHostname)\(path)"
        func link(_ page: Int, _ relation: String) -> String {
            let items = (extra + [("page", String(page)), ("per_page", String(perPage))]).sorted { $0.0 < $1.0 }
            return "<\(base)?\(items.map { "\(FormEncoding.escape($0.0))=\(FormEncoding.escape($0.1))" }.joined(separator: "&"))>; rel=\"\(relation)\""
        }
        var seen: [String] = []
        for page in 1...pages {
            let query = ([("page", String(page)), ("per_page", String(perPage))] + extra).map { "\($0.0)=\(FormEncoding.escape($0.1))" }
            let response = try await api.get("\(path)?\(query.joined(separator: "&"))")
            let context = "\(path) page \(page)/\(pages)"
            XCTAssertEqual(response.status, .ok, "\(context): \(response.text)", file: file, line: line)
            response.assertPortusCORS(context, file: file, line: line)
            let items = response.ordered.items
            XCTAssertEqual(items.count, page < pages ? perPage : total - perPage * (pages - 1), "\(context) size", file: file, line: line)
            seen += items.compactMap { $0[field]?.string }
            XCTAssertEqual(response.header("X-Page"), String(page), context, file: file, line: line)
            XCTAssertEqual(response.header("X-Per-Page"), String(perPage), context, file: file, line: line)
            XCTAssertEqual(response.header("X-Total"), String(total), context, file: file, line: line)
            XCTAssertEqual(response.header("X-Total-Pages"), String(pages), context, file: file, line: line)
            XCTAssertEqual(response.header("X-Next-Page"), page < pages ? String(page + 1) : "", "\(context) next", file: file, line: line)
            XCTAssertEqual(response.header("X-Prev-Page"), page > 1 ? String(page - 1) : "", "\(context) prev", file: file, line: line)
            var links: [String] = []
            if page > 1 { links.append(link(page - 1, "prev")) }
            if page < pages { links.append(link(page + 1, "next")) }
            links += [link(1, "first"), link(pages, "last")]
            XCTAssertEqual(response.header("Link"), links.joined(separator: ", "), "\(context) Link", file: file, line: line)
        }
        XCTAssertEqual(seen, expected, "\(path) all pages with \(extra)", file: file, line: line)
    }

    /// `all=true`: the whole list, without pagination headers.
    static func all(_ api: PortusClient, _ path: String, field: String, file: StaticString = #filePath, line: UInt = #line) async throws -> [String] {
        let response = try await api.get("\(path)?all=true&per_page=1")
        XCTAssertEqual(response.status, .ok, response.text, file: file, line: line)
        for header in ["X-Page", "X-Per-Page", "X-Total", "X-Total-Pages", "X-Next-Page", "X-Prev-Page", "Link"] {
            XCTAssertNil(response.header(header), "\(path)?all=true has no \(header)", file: file, line: line)
        }
        return response.ordered.items.compactMap { $0[field]?.string }
    }

    func testUsersPages() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let root = try await PortusKit.bootstrap(client, "root").api
                let names = (1...13).map { String(format: "user%02d", $0) }
                for name in names.reversed() { try await PortusKit.quickUser(server.server.store, name) }
                let byID = ["root"] + names.reversed()
                let store = server.server.store
                _ = try await store.createOrganization(name: "notauser", email: nil, creatorID: nil)

                try await Self.walk(root, "/api/v1/users", server: server, perPage: 5, field: "username", expected: byID)
                try await Self.walk(root, "/api/v1/users", server: server, perPage: 4, extra: [("sort_attr", "username"), ("sort_order", "desc")],
                                    field: "username", expected: byID.sorted(by: >))
                try await Self.walk(root, "/api/v1/users", server: server, perPage: 6, extra: [("sort_attr", "username"), ("sort_order", "asc")],
                                    field: "username", expected: byID.sorted())
                try await Self.walk(root, "/api/v1/users", server: server, perPage: 14, field: "username", expected: byID)
                try await Self.walk(root, "/api/v1/users", server: server, perPage: 20, extra: [("sort_order", "DESC")],
                                    field: "username", expected: Array(byID.reversed()))
                let everyone = try await Self.all(root, "/api/v1/users", field: "username")
                XCTAssertEqual(everyone, byID)

                // Defaults: page 1, 15 per page, id order.
                let first = try await root.get("/api/v1/users")
                XCTAssertEqual(first.ordered.items.compactMap { $0["username"]?.string }, byID)
                XCTAssertEqual(first.header("X-Per-Page"), "15")
                XCTAssertEqual(first.header("X-Total-Pages"), "1")
                XCTAssertEqual(first.header("X-Next-Page"), "")
                XCTAssertEqual(first.header("X-Prev-Page"), "")

                // Columns that are not sortable attributes sort by id; values are never SQL.
                for attribute in ["password_hash", "id; DROP TABLE account", "nonsense"] {
                    let response = try await root.get("/api/v1/users?all=true&sort_attr=\(FormEncoding.escape(attribute))")
                    XCTAssertEqual(response.status, .ok, response.text)
                    XCTAssertEqual(response.ordered.items.compactMap { $0["username"]?.string }, byID, attribute)
                }
                let created = try await root.get("/api/v1/users?all=true&sort_attr=created_at&sort_order=desc")
                XCTAssertEqual(created.ordered.items.first?["username"]?.string, "user01", "the last created first")

                // Past the last page: empty, no next or previous page.
                let beyond = try await root.get("/api/v1/users?page=9&per_page=5")
                XCTAssertEqual(beyond.status, .ok, beyond.text)
                XCTAssertEqual(beyond.ordered.items.count, 0)
                XCTAssertEqual(beyond.header("X-Page"), "9")
                XCTAssertEqual(beyond.header("X-Next-Page"), "")
                XCTAssertEqual(beyond.header("X-Total"), "14")

                // Parameters of the wrong type: Grape's 400.
                let badPage = try await root.get("/api/v1/users?page=abc")
                badPage.assertBadParameters([("page", ["is invalid"])])
                let badBoth = try await root.get("/api/v1/users?per_page=x&all=maybe")
                badBoth.assertBadParameters([("all", ["is invalid"]), ("per_page", ["is invalid"])])
            }
        }
    }

    /// Sorting on columns that may be empty gives the same order on both databases: a user never changed
    /// sorts by its creation time (what `updated_at` shows), and missing values come first in ascending order.
    func testSortingOnTimesAndMissingValues() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let root = try await PortusKit.bootstrap(client, "root").api
                let store = server.server.store
                func touch(_ account: AccountRecord, _ display: String) async throws {
                    try await Task.sleep(for: .milliseconds(3))
                    let updated = try await root.put("/api/v1/users/\(account.id)", ["user": ["display_name": display]])
                    XCTAssertEqual(updated.status, .ok, updated.text)
                    try await Task.sleep(for: .milliseconds(3))
                }
                let anna = try await PortusKit.quickUser(store, "anna")
                try await PortusKit.quickUser(store, "bert")
                let cleo = try await PortusKit.quickUser(store, "cleo")
                try await PortusKit.quickUser(store, "dora")
                try await touch(anna, "Zed")
                try await PortusKit.quickUser(store, "erik")
                try await touch(cleo, "Amy")
                func order(_ query: String) async throws -> [String] {
                    let response = try await root.get("/api/v1/users?\(query)")
                    XCTAssertEqual(response.status, .ok, response.text)
                    return response.ordered.items.compactMap { $0["username"]?.string }
                }
                let updatedAscending = try await order("sort_attr=updated_at&sort_order=asc")
                XCTAssertEqual(updatedAscending, ["root", "bert", "dora", "anna", "erik", "cleo"], "never-changed users sort by their creation")
                let updatedDescending = try await order("sort_attr=updated_at&sort_order=desc")
                XCTAssertEqual(updatedDescending, ["cleo", "erik", "anna", "dora", "bert", "root"])
                let displayAscending = try await order("sort_attr=display_name&sort_order=asc")
                XCTAssertEqual(displayAscending, ["root", "bert", "dora", "erik", "cleo", "anna"], "users without a display name first, in id order")
                let displayDescending = try await order("sort_attr=display_name&sort_order=desc")
                XCTAssertEqual(displayDescending, ["anna", "cleo", "erik", "dora", "bert", "root"])
                let namespaces = try await root.get("/api/v1/namespaces?sort_attr=updated_at&sort_order=asc")
                XCTAssertEqual(namespaces.ordered.items.compactMap { $0["name"]?.string }, ["root", "bert", "dora", "anna", "erik", "cleo"])
            }
        }
    }

    func testNamespacesTeamsRepositoriesAndTagsPages() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let store = server.server.store

                // Namespaces: 5 personal + devspace + 6 more.
                var namespaces = ["root", "owner", "contributor", "viewer", "outsider", "devspace"]
                for index in 1...6 {
                    let name = "ns\(index)"
                    _ = try await PortusKit.createNamespace(world.owner.api, name, team: "devs")
                    namespaces.append(name)
                }
                try await Self.walk(world.root.api, "/api/v1/namespaces", server: server, perPage: 5, field: "name", expected: namespaces)
                try await Self.walk(world.root.api, "/api/v1/namespaces", server: server, perPage: 7,
                                    extra: [("sort_attr", "name"), ("sort_order", "desc")], field: "name", expected: namespaces.sorted(by: >))
                let viewerNamespaces = ["viewer", "devspace"] + (1...6).map { "ns\($0)" }
                try await Self.walk(world.viewer.api, "/api/v1/namespaces", server: server, perPage: 3, field: "name", expected: viewerNamespaces)
                let allNamespaces = try await Self.all(world.root.api, "/api/v1/namespaces", field: "name")
                XCTAssertEqual(allNamespaces, namespaces)

                // Teams.
                var teams = ["devs"]
                for name in ["zeta", "alpha", "mu", "beta", "omega", "kappa", "delta"] {
                    _ = try await PortusKit.createTeam(world.root.api, name)
                    teams.append(name)
                }
                try await Self.walk(world.root.api, "/api/v1/teams", server: server, perPage: 3, field: "name", expected: teams)
                try await Self.walk(world.root.api, "/api/v1/teams", server: server, perPage: 3, extra: [("sort_attr", "name")],
                                    field: "name", expected: teams.sorted())
                try await Self.walk(world.viewer.api, "/api/v1/teams", server: server, perPage: 3, field: "name", expected: ["devs"])
                let allTeams = try await Self.all(world.root.api, "/api/v1/teams", field: "name")
                XCTAssertEqual(allTeams, teams)

                // Repositories.
                let found = try await store.account(named: "devspace")
                let devspace = try XCTUnwrap(found)
                var repositories: [String] = []
                for index in (1...11).reversed() {
                    let name = String(format: "repo%02d", index)
                    _ = try await store.createRepository(namespaceID: devspace.id, name: name, visibility: .private, creatorID: nil)
                    repositories.append("devspace/\(name)")
                }
                try await Self.walk(world.viewer.api, "/api/v1/repositories", server: server, perPage: 4, field: "full_name", expected: repositories)
                try await Self.walk(world.root.api, "/api/v1/repositories", server: server, perPage: 5, extra: [("sort_attr", "name"), ("sort_order", "asc")],
                                    field: "full_name", expected: repositories.sorted())
                let allRepositories = try await Self.all(world.owner.api, "/api/v1/repositories", field: "full_name")
                XCTAssertEqual(allRepositories, repositories)

                // Tags: one image, nine tags.
                let manifest = try await world.push("devspace/tagged", tag: "t1", as: world.owner)
                var tags = ["t1"]
                for index in 2...9 {
                    let response = try await RegistryCalls(client: client, auth: world.owner.basic).putManifest("devspace/tagged", "t\(index)", manifest)
                    XCTAssertEqual(response.status, .created, response.text)
                    tags.append("t\(index)")
                }
                try await Self.walk(world.root.api, "/api/v1/tags", server: server, perPage: 4, field: "name", expected: tags)
                try await Self.walk(world.root.api, "/api/v1/tags", server: server, perPage: 2, extra: [("sort_attr", "name"), ("sort_order", "desc")],
                                    field: "name", expected: tags.sorted(by: >))
                let allTags = try await Self.all(world.root.api, "/api/v1/tags", field: "name")
                XCTAssertEqual(allTags, tags)

                // Query parameters other than the page's are kept in the links.
                let kept = try await world.root.api.get("/api/v1/teams?per_page=3&page=2&extra=a%20b")
                XCTAssertTrue(kept.header("Link")?.contains("extra=a%20b&page=1&per_page=3>; rel=\"prev\"") ?? false, kept.header("Link") ?? "no Link")
            }
        }
    }
}
