import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import WharfOCI
import XCTest

/// Portus's rules and fields wherever they apply: clamped page parameters, Portus's delete switches on
/// every API and on `/v2`, the organization that holds Portus's teams, who lists a hidden team's members,
/// application names, the author of pushes made with registry tokens, and sign-in times.
final class PortusRulesAcrossAPIsTests: XCTestCase {

    /// A Quay API client (all scopes) for the account named `name`.
    static func quay(_ server: TestServer, _ client: any TestClientProtocol, _ name: String,
                     file: StaticString = #filePath, line: UInt = #line) async throws -> QuayClient {
        let account = try await server.server.store.account(named: name)
        return try await server.quay(client, as: try XCTUnwrap(account, name, file: file, line: line))
    }

    /// Whether `namespace/repository` has the alive tag `tag`.
    static func hasTag(_ store: MetadataStore, _ namespace: String, _ repository: String, _ tag: String) async throws -> Bool {
        guard let found = try await store.repository(namespace: namespace, name: repository) else { return false }
        return try await store.aliveTag(repositoryID: found.id, name: tag) != nil
    }

    /// `DELETE /v2/<name>/manifests/<digest>` with `auth`.
    static func deleteManifest(_ client: any TestClientProtocol, _ name: String, _ manifest: Data, _ auth: HTTPFields) async throws -> TestResponse {
        try await client.execute(uri: "/v2/\(name)/manifests/\(Digest.of(manifest))", method: .delete, headers: auth)
    }

    /// The status of `GET /v2/<name>/manifests/<digest>` with `auth`.
    static func manifestStatus(_ client: any TestClientProtocol, _ name: String, _ manifest: Data, _ auth: HTTPFields) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/v2/\(name)/manifests/\(Digest.of(manifest))", method: .get, headers: auth).status
    }

    /// A registry token from `/v2/auth` for `actions` on `name`, as the `Authorization` header.
    static func bearer(_ client: any TestClientProtocol, _ server: TestServer, _ user: PortusUser, _ name: String, actions: String,
                       expect granted: Set<String>, file: StaticString = #filePath, line: UInt = #line) async throws -> HTTPFields {
        let issued = try await RegistryTokens.request(client, server: server, auth: user.basic, scope: "repository:\(name):\(actions)")
        XCTAssertEqual(issued.response.status, .ok, issued.response.text, file: file, line: line)
        XCTAssertEqual(Set(RegistryTokens.actions(issued.claims, on: name)), granted, "\(user.name) asking \(actions) on \(name)", file: file, line: line)
        return [.authorization: "Bearer \(try XCTUnwrap(issued.token, file: file, line: line))"]
    }

    // MARK: - 1. Pagination parameters far beyond any list

    func testHugePageParametersAreClamped() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                try await world.push("devspace/app", tag: "v1", as: world.owner)
                let largest = "1000000000"
                let huge = String(Int64.max)
                for path in ["/api/v1/namespaces", "/api/v1/users", "/api/v1/teams", "/api/v1/repositories", "/api/v1/tags"] {
                    let everything = try await world.root.api.get("\(path)?all=true")
                    XCTAssertEqual(everything.status, .ok, "\(path): \(everything.text)")
                    let total = everything.ordered.items.count
                    XCTAssertGreaterThan(total, 0, path)
                    let base = "http://\(server.configuration.effectiveServerHostname)\(path)"
                    func links(_ page: String, _ perPage: String) -> String {
                        ["first", "last"].map { "<\(base)?page=\(page)&per_page=\(perPage)>; rel=\"\($0)\"" }.joined(separator: ", ")
                    }
                    func check(_ query: String, page: String, perPage: String, items: Int) async throws {
                        let context = "\(path)?\(query)"
                        let response = try await world.root.api.get(context)
                        XCTAssertEqual(response.status, .ok, "\(context): \(response.text)")
                        response.assertPortusCORS(context)
                        XCTAssertEqual(response.ordered.items.count, items, "\(context): \(response.text)")
                        XCTAssertEqual(response.header("X-Page"), page, context)
                        XCTAssertEqual(response.header("X-Per-Page"), perPage, context)
                        XCTAssertEqual(response.header("X-Total"), String(total), context)
                        XCTAssertEqual(response.header("X-Total-Pages"), "1", context)
                        XCTAssertEqual(response.header("X-Next-Page"), "", context)
                        XCTAssertEqual(response.header("X-Prev-Page"), "", context)
                        XCTAssertEqual(response.header("Link"), links("1", perPage), context)
                    }
                    try await check("per_page=\(huge)", page: "1", perPage: largest, items: total)
                    try await check("page=\(huge)&per_page=\(huge)", page: largest, perPage: largest, items: 0)
                    try await check("page=\(huge)", page: largest, perPage: "15", items: 0)
                    try await check("page=\(largest)&per_page=\(largest)", page: largest, perPage: largest, items: 0)
                    try await check("page=-\(huge)&per_page=\(huge)", page: "1", perPage: largest, items: total)
                    let beyondInt64 = try await world.root.api.get("\(path)?page=9223372036854775808&per_page=99999999999999999999")
                    beyondInt64.assertBadParameters([("page", ["is invalid"]), ("per_page", ["is invalid"])], "\(path) beyond Int64")
                }
                let alive = try await world.root.api.get("/api/version")
                XCTAssertEqual(alive.status, .ok, "the server still answers: \(alive.text)")
            }
        }
    }

    // MARK: - 2. Portus's delete switches on the Quay API and on /v2

    /// Default rules (`PORTUS_DELETE_CONTRIBUTORS` off), then with it on: in a team-owned namespace a
    /// contributor deletes a tag through the Quay API only when contributors may delete; owners always.
    func testQuayTagDeletesInTeamNamespacesFollowDeleteContributors() async throws {
        for contributors in [false, true] {
            try await withEachDatabase { database in
                let server = try await TestServer.make(database: database) { $0.portusRules.deleteContributors = contributors }
                try await server.run { client in
                    let world = try await PortusWorld.make(server, client)
                    let store = server.server.store
                    try await world.push("devspace/app", tag: "v1", as: world.owner, layer: "one")
                    try await world.push("devspace/app", tag: "v2", as: world.owner, layer: "two")
                    let context = "delete.contributors \(contributors)"

                    let viewer = try await Self.quay(server, client, "viewer")
                    let byViewer = try await viewer.delete("/api/v1/repository/devspace/app/tag/v1")
                    XCTAssertEqual(byViewer.status, .forbidden, "\(context): \(byViewer.text)")

                    let contributor = try await Self.quay(server, client, "contributor")
                    let byContributor = try await contributor.delete("/api/v1/repository/devspace/app/tag/v1")
                    if contributors {
                        XCTAssertEqual(byContributor.status, .noContent, "\(context): \(byContributor.text)")
                    } else {
                        byContributor.assertAPIError(403, "insufficient_scope")
                    }
                    let v1Left = try await Self.hasTag(store, "devspace", "app", "v1")
                    XCTAssertEqual(v1Left, !contributors, context)

                    let owner = try await Self.quay(server, client, "owner")
                    let byOwner = try await owner.delete("/api/v1/repository/devspace/app/tag/v2")
                    XCTAssertEqual(byOwner.status, .noContent, "\(context): \(byOwner.text)")
                    let v2Left = try await Self.hasTag(store, "devspace", "app", "v2")
                    XCTAssertFalse(v2Left, context)
                }
            }
        }
    }

    /// `PORTUS_DELETE_ENABLED` off: in a namespace with an owning team, the owner's Quay tag, repository and
    /// organization deletions are refused, and so is its `/v2` manifest delete; an ordinary Quay
    /// organization and a personal namespace follow Quay's roles alone.
    func testDeleteDisabledRefusesQuayDeletionsInTeamNamespacesOnly() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database) { $0.portusRules.deleteEnabled = false }
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let store = server.server.store
                let manifest = try await world.push("devspace/app", tag: "v1", as: world.owner)
                let owner = try await Self.quay(server, client, "owner")

                let tag = try await owner.delete("/api/v1/repository/devspace/app/tag/v1")
                tag.assertAPIError(403, "insufficient_scope")
                let repository = try await owner.delete("/api/v1/repository/devspace/app")
                repository.assertAPIError(403, "insufficient_scope")
                let organization = try await owner.delete("/api/v1/organization/devspace")
                organization.assertAPIError(403, "insufficient_scope")
                let tagLeft = try await Self.hasTag(store, "devspace", "app", "v1")
                XCTAssertTrue(tagLeft, "the tag stays")
                let namespaceLeft = try await store.account(named: "devspace")
                XCTAssertNotNil(namespaceLeft, "the namespace stays")
                let registryDelete = try await Self.deleteManifest(client, "devspace/app", manifest, world.owner.basic)
                XCTAssertEqual(registryDelete.status, .unauthorized, registryDelete.text)
                let stillThere = try await Self.manifestStatus(client, "devspace/app", manifest, world.owner.basic)
                XCTAssertEqual(stillThere, .ok)

                // An ordinary Quay organization (no owning team): Quay's rules.
                try await OrgKit.createOrganization(owner, "quayorg")
                let quayManifest = try await world.push("quayorg/app", tag: "v1", as: world.owner, layer: "quay")
                try await world.push("quayorg/other", tag: "v1", as: world.owner, layer: "other")
                let quayTag = try await owner.delete("/api/v1/repository/quayorg/other/tag/v1")
                XCTAssertEqual(quayTag.status, .noContent, quayTag.text)
                let quayRegistryDelete = try await Self.deleteManifest(client, "quayorg/app", quayManifest, world.owner.basic)
                XCTAssertEqual(quayRegistryDelete.status, .accepted, quayRegistryDelete.text)
                let quayRepository = try await owner.delete("/api/v1/repository/quayorg/app")
                XCTAssertEqual(quayRepository.status, .noContent, quayRepository.text)
                let quayOrganization = try await owner.delete("/api/v1/organization/quayorg")
                XCTAssertEqual(quayOrganization.status, .noContent, quayOrganization.text)
                let gone = try await store.account(named: "quayorg")
                XCTAssertNil(gone)

                // A personal namespace: its user deletes.
                try await world.push("owner/mine", tag: "v1", as: world.owner, layer: "mine")
                let personalTag = try await owner.delete("/api/v1/repository/owner/mine/tag/v1")
                XCTAssertEqual(personalTag.status, .noContent, personalTag.text)
                let personalRepository = try await owner.delete("/api/v1/repository/owner/mine")
                XCTAssertEqual(personalRepository.status, .noContent, personalRepository.text)
            }
        }
    }

    /// `DELETE /v2/<name>/manifests/<digest>` in a team-owned namespace: owners delete; contributors only
    /// with `PORTUS_DELETE_CONTRIBUTORS`, with Basic auth (their Portus token) or with a registry token
    /// (where `push` alone does not imply `delete`); viewers never.
    func testRegistryManifestDeletesFollowPortusRules() async throws {
        for contributors in [false, true] {
            try await withEachDatabase { database in
                let server = try await TestServer.make(database: database) { $0.portusRules.deleteContributors = contributors }
                try await server.run { client in
                    let world = try await PortusWorld.make(server, client)
                    let name = "devspace/app"
                    var images: [String: Data] = [:]
                    for tag in ["viewer", "contributor-basic", "contributor-push", "contributor-delete", "owner-basic", "owner-push", "owner-delete"] {
                        images[tag] = try await world.push(name, tag: tag, as: world.owner, layer: "image for \(tag)")
                    }
                    let context = "delete.contributors \(contributors)"
                    func delete(_ tag: String, _ auth: HTTPFields, _ expected: HTTPResponse.Status) async throws {
                        let manifest = try XCTUnwrap(images[tag])
                        let response = try await Self.deleteManifest(client, name, manifest, auth)
                        XCTAssertEqual(response.status, expected, "\(context) \(tag): \(response.text)")
                        let after = try await Self.manifestStatus(client, name, manifest, world.owner.basic)
                        XCTAssertEqual(after, expected == .accepted ? .notFound : .ok, "\(context) \(tag) afterwards")
                    }

                    try await delete("viewer", world.viewer.basic, .unauthorized)
                    try await delete("contributor-basic", world.contributor.basic, contributors ? .accepted : .unauthorized)
                    let contributorPush = try await Self.bearer(client, server, world.contributor, name, actions: "pull,push", expect: ["pull", "push"])
                    // A registry token without `delete` gets 401 insufficient_scope (the client may ask for a wider one).
                    try await delete("contributor-push", contributorPush, .unauthorized)
                    let contributorDelete = try await Self.bearer(client, server, world.contributor, name, actions: "pull,push,delete",
                                                                  expect: contributors ? ["pull", "push", "delete"] : ["pull", "push"])
                    try await delete("contributor-delete", contributorDelete, contributors ? .accepted : .unauthorized)
                    try await delete("owner-basic", world.owner.basic, .accepted)
                    let ownerPush = try await Self.bearer(client, server, world.owner, name, actions: "pull,push", expect: ["pull", "push"])
                    try await delete("owner-push", ownerPush, .unauthorized)
                    let ownerDelete = try await Self.bearer(client, server, world.owner, name, actions: "pull,push,delete", expect: ["pull", "push", "delete"])
                    try await delete("owner-delete", ownerDelete, .accepted)
                }
            }
        }
    }

    // MARK: - 3. The organization that holds Portus's teams

    func testPortusTeamsOrganizationStaysAndShowsMembersTheirOwnTeams() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database) { $0.superusersFullAccess = true }
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let store = server.server.store
                let opsID = try await PortusKit.createTeam(world.root.api, "ops", ownerID: world.outsider.id)
                try await PortusKit.addMember(world.outsider.api, team: opsID, "contributor", role: "viewer")

                // Neither Quay's organization delete nor the superuser's deletes it.
                let root = try await Self.quay(server, client, "root")
                for path in ["/api/v1/organization/portus-teams", "/api/v1/superuser/organizations/portus-teams"] {
                    let refused = try await root.delete(path)
                    refused.assertMessage(400)
                    XCTAssertTrue((refused.json["message"] as? String)?.contains("portus-teams") ?? false, "\(path): \(refused.text)")
                }
                let organization = try await store.account(named: "portus-teams")
                XCTAssertNotNil(organization, "the organization stays")
                let devs = try await world.viewer.api.get("/api/v1/teams/\(world.teamID)")
                XCTAssertEqual(devs.status, .ok, "its teams stay: \(devs.text)")

                // Members see their own teams only.
                for (name, expected) in [("viewer", ["devs"]), ("outsider", ["ops"]), ("contributor", ["devs", "ops"]), ("owner", ["devs"])] {
                    let view = try await Self.quay(server, client, name).get("/api/v1/organization/portus-teams")
                    XCTAssertEqual(view.status, .ok, "\(name): \(view.text)")
                    XCTAssertEqual(view.json["ordered_teams"] as? [String], expected, "\(name): \(view.text)")
                    XCTAssertEqual(OrgKit.object(view.json["teams"]).keys.sorted(), expected.sorted(), "\(name): \(view.text)")
                    XCTAssertEqual(view.json["is_admin"] as? Bool, false, name)
                }
            }
        }
    }

    // MARK: - 4. Who lists a team's members

    func testMembersOfQuayTeamsAreListedByAdministratorsOnly() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let store = server.server.store
                let owner = try await Self.quay(server, client, "owner")
                try await OrgKit.createOrganization(owner, "quayorg")
                try await OrgKit.saveTeam(owner, "quayorg", "builders", role: "member")
                try await OrgKit.addMember(owner, "quayorg", "builders", "viewer")
                let organization = try await store.account(named: "quayorg")
                let builders = try await store.team(organizationID: try XCTUnwrap(organization).id, name: "builders")
                let buildersID = try XCTUnwrap(builders).id

                func members(_ user: PortusUser, _ team: Int64) async throws -> TestResponse {
                    try await user.api.get("/api/v1/teams/\(team)/members")
                }
                // A Quay organization's team: its organization's administrators and Portus administrators.
                for user in [world.viewer, world.outsider, world.contributor] {
                    let refused = try await members(user, buildersID)
                    refused.assertPortus(403, "Authorization fails", user.name)
                }
                for user in [world.owner, world.root] {
                    let listed = try await members(user, buildersID)
                    XCTAssertEqual(listed.status, .ok, "\(user.name): \(listed.text)")
                    XCTAssertEqual(listed.assertList(PortusShape.user).compactMap { $0["username"]?.string }, ["viewer"], user.name)
                }

                // A Portus team: any member, and administrators.
                for user in [world.viewer, world.contributor, world.owner, world.root] {
                    let listed = try await members(user, world.teamID)
                    XCTAssertEqual(listed.status, .ok, "\(user.name): \(listed.text)")
                    XCTAssertEqual(Set(listed.assertList(PortusShape.user).compactMap { $0["username"]?.string }), ["owner", "contributor", "viewer"], user.name)
                }
                let outsider = try await members(world.outsider, world.teamID)
                outsider.assertPortus(403, "Authorization fails")
            }
        }
    }

    // MARK: - 5. Application names

    func testApplicationNamesAreTrimmedAndAtMost255Characters() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let root = try await PortusKit.bootstrap(client, "root")
                let alice = try await PortusKit.createUser(root.api, "alice")
                let path = "/api/v1/users/\(alice.id)/application_tokens"

                _ = try await PortusKit.createToken(alice.api, user: alice.id, application: "ci")
                for name in [" ci", "ci ", "  ci  "] {
                    let duplicate = try await alice.api.post(path, ["application": name])
                    duplicate.assertFieldErrors(["application": ["has already been taken"]], "'\(name)'")
                }
                let form = try await alice.api.call(.post, path, form: [("application", " ci")])
                form.assertFieldErrors(["application": ["has already been taken"]], "form")

                let tooLong = try await alice.api.post(path, ["application": String(repeating: "a", count: 256)])
                tooLong.assertFieldErrors(["application": ["is too long (maximum is 255 characters)"]])
                let longest = String(repeating: "b", count: 255)
                _ = try await PortusKit.createToken(alice.api, user: alice.id, application: longest)
                let padded = try await alice.api.post(path, ["application": " d" + String(repeating: "d", count: 254) + " "])
                XCTAssertEqual(padded.status, .created, "255 characters once trimmed: \(padded.text)")
                XCTAssertEqual(padded.json["application"] as? String, String(repeating: "d", count: 255))

                let listed = try await alice.api.get(path)
                XCTAssertEqual(listed.status, .ok, listed.text)
                XCTAssertEqual(listed.assertList(PortusShape.applicationToken).compactMap { $0["application"]?.string },
                               ["cli", "ci", longest, String(repeating: "d", count: 255)])
            }
        }
    }

    // MARK: - 6. Pushes into team namespaces: no grant of one's own, the pusher recorded

    func testPushesWithRegistryTokensRecordTheirAuthorAndGrantNothing() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let store = server.server.store

                // A first push with Basic auth, and one with a registry token: no user permission either way.
                try await world.push("devspace/basic", tag: "v1", as: world.contributor, layer: "basic")
                let token = try await Self.bearer(client, server, world.contributor, "devspace/viatoken", actions: "pull,push", expect: ["pull", "push"])
                try await RegistryCalls(client: client, auth: token).pushImage("devspace/viatoken", tag: "v1", layer: "token")
                for name in ["basic", "viatoken"] {
                    let repository = try await world.repository("devspace", name)
                    let granted = try await store.userPermissions(repositoryID: repository.id)
                    XCTAssertEqual(granted.map(\.account.username), [], "devspace/\(name)")
                }

                // The pusher is the tag's author, for a token push into an existing repository too.
                try await world.push("devspace/app", tag: "v1", as: world.owner, layer: "owner's")
                let appToken = try await Self.bearer(client, server, world.contributor, "devspace/app", actions: "pull,push", expect: ["pull", "push"])
                try await RegistryCalls(client: client, auth: appToken).pushImage("devspace/app", tag: "v2", layer: "contributor's")
                for (name, expected) in [("viatoken", ["v1": "contributor"]), ("app", ["v1": "owner", "v2": "contributor"])] {
                    let repository = try await world.repository("devspace", name)
                    let tags = try await world.root.api.get("/api/v1/repositories/\(repository.id)/tags")
                    XCTAssertEqual(tags.status, .ok, tags.text)
                    let items = tags.assertList(PortusShape.tag)
                    let authors = Dictionary(uniqueKeysWithValues: items.map { ($0["name"]?.string ?? "", $0["author"]?["name"]?.string ?? "none") })
                    XCTAssertEqual(authors, expected, "devspace/\(name): \(tags.text)")
                    for item in items where item["author"]?["name"]?.string == "contributor" {
                        XCTAssertEqual(item["author"]?["id"]?.int, world.contributor.id)
                    }
                }

                // Leaving the team takes the token-created repository away too.
                let membership = try XCTUnwrap(world.memberships["contributor"])
                let removed = try await world.owner.api.delete("/api/v1/teams/\(world.teamID)/members/\(membership)")
                XCTAssertEqual(removed.status, .noContent, removed.text)
                let pull = try await PortusModelTests.pull(client, "devspace/viatoken", "v1", world.contributor.basic)
                XCTAssertEqual(pull, .unauthorized)
            }
        }
    }

    // MARK: - 7. Sign-in times

    func testQuaySignInsSetPortusSignInTimes() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let root = try await PortusKit.bootstrap(client, "root")
                let alice = try await PortusKit.createUser(root.api, "alice")
                func times() async throws -> (current: OrderedJSON?, last: OrderedJSON?) {
                    let shown = try await root.api.get("/api/v1/users/\(alice.id)")
                    XCTAssertEqual(shown.status, .ok, shown.text)
                    shown.assertKeys(PortusShape.user)
                    return (shown.ordered["current_sign_in_at"], shown.ordered["last_sign_in_at"])
                }
                let before = try await times()
                XCTAssertEqual(before.current, .null)
                XCTAssertEqual(before.last, .null)

                let wrong = try await client.execute(uri: "/api/v1/signin", method: .post, headers: [.contentType: "application/json"],
                                                     body: ByteBuffer(string: #"{"username":"alice","password":"wrong-password"}"#))
                XCTAssertEqual(wrong.status, .forbidden, wrong.text)
                let afterFailure = try await times()
                XCTAssertEqual(afterFailure.current, .null, "a failed sign-in is no sign-in")

                _ = try await SignedInSession.signIn(client, "alice")
                let first = try await times()
                XCTAssertTrue(PortusShape.isTime(first.current), "\(String(describing: first.current))")
                XCTAssertTrue(PortusShape.isTime(first.last), "\(String(describing: first.last))")
                let firstAt = try XCTUnwrap(first.current?.string)

                try await Task.sleep(for: .milliseconds(20))
                _ = try await SignedInSession.signIn(client, "alice")
                let second = try await times()
                XCTAssertTrue(PortusShape.isTime(second.current), "\(String(describing: second.current))")
                XCTAssertEqual(second.last?.string, firstAt, "the previous sign-in moves to last_sign_in_at")
                XCTAssertGreaterThan(try XCTUnwrap(second.current?.string), firstAt)
            }
        }
    }
}
