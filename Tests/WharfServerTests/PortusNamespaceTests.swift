import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// `/api/v1/namespaces…`: namespaces with an owning team and a visibility, created, validated, listed,
/// changed and deleted under Portus's `NamespacePolicy` (portus.md §2.5, §3).
final class PortusNamespaceTests: XCTestCase {

    func testCreateAndShowNamespaces() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)

                let created = try await world.contributor.api.post("/api/v1/namespaces", ["name": "builds", "team": "devs", "description": "CI images"])
                XCTAssertEqual(created.status, .created, created.text)
                created.assertKeys(PortusShape.namespace)
                created.assertPortusCORS()
                let namespace = created.ordered
                XCTAssertEqual(namespace["name"]?.string, "builds")
                XCTAssertEqual(namespace["description"]?.string, "CI images")
                XCTAssertEqual(namespace["visibility"]?.string, "private", "a new namespace is private")
                XCTAssertEqual(namespace["global"]?.bool, false)
                XCTAssertTrue(PortusShape.isTime(namespace["created_at"]) && PortusShape.isTime(namespace["updated_at"]), "\(namespace)")
                let team = try XCTUnwrap(namespace["team"])
                XCTAssertEqual(team.keys, PortusShape.namespaceTeam)
                XCTAssertEqual(team["id"]?.int, world.teamID)
                XCTAssertEqual(team["name"]?.string, "devs")
                XCTAssertEqual(team["hidden"]?.bool, false)

                let formCreated = try await world.owner.api.call(.post, "/api/v1/namespaces", form: [("name", "tools"), ("team", "devs")])
                XCTAssertEqual(formCreated.status, .created, formCreated.text)
                XCTAssertEqual(formCreated.ordered["description"]?.string, "")

                let id = try XCTUnwrap(created.id)
                for member in [world.viewer, world.contributor, world.owner, world.root] {
                    let shown = try await member.api.get("/api/v1/namespaces/\(id)")
                    XCTAssertEqual(shown.status, .ok, "\(member.name): \(shown.text)")
                    XCTAssertEqual(shown.ordered, namespace, member.name)
                }
                let outsider = try await world.outsider.api.get("/api/v1/namespaces/\(id)")
                outsider.assertPortus(403, "Authorization fails", "a private namespace is its team's")

                // A personal namespace: the user's own, without a team.
                let personal = try await world.viewer.api.get("/api/v1/namespaces/\(world.viewer.id)")
                XCTAssertEqual(personal.status, .ok, personal.text)
                personal.assertKeys(PortusShape.namespace)
                XCTAssertEqual(personal.ordered["name"]?.string, "viewer")
                XCTAssertEqual(personal.ordered["team"], .null)
                let othersPersonal = try await world.viewer.api.get("/api/v1/namespaces/\(world.outsider.id)")
                othersPersonal.assertPortus(403, "Authorization fails")

                for path in ["/api/v1/namespaces/999999", "/api/v1/namespaces/abc", "/api/v1/namespaces/999999/repositories"] {
                    let response = try await world.root.api.get(path)
                    response.assertPortus(404, "Not found", path)
                }
                let portusTeams = try await server.server.store.account(named: "portus-teams")
                let hiddenOrganization = try XCTUnwrap(portusTeams, "the organization that holds Portus's teams")
                let system = try await world.root.api.get("/api/v1/namespaces/\(hiddenOrganization.id)")
                system.assertPortus(404, "Not found", "the organization of Portus's teams is not a namespace")
            }
        }
    }

    func testCreateNamespaceRefusals() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let path = "/api/v1/namespaces"

                let missing = try await world.owner.api.post(path, ["description": "x"])
                missing.assertBadParameters([("name", ["is missing"]), ("team", ["is missing"])])
                let missingTeam = try await world.owner.api.call(.post, path, form: [("name", "x")])
                missingTeam.assertBadParameters([("team", ["is missing"])])
                let unknownTeam = try await world.owner.api.post(path, ["name": "ghostspace", "team": "ghosts"])
                unknownTeam.assertPortus(404, "Not found")
                let unknownForOutsider = try await world.outsider.api.post(path, ["name": "ghostspace", "team": "ghosts"])
                unknownForOutsider.assertPortus(404, "Not found", "the team is looked up before the policy")
                for user in [world.viewer, world.outsider] {
                    let refused = try await user.api.post(path, ["name": "notmine", "team": "devs"])
                    refused.assertPortus(403, "Authorization fails", "\(user.name) may not push in devs' namespaces")
                }
                let exists = try await server.server.store.account(named: "notmine")
                XCTAssertNil(exists)

                let invalid = NamespaceService.invalidNameMessage
                for name in ["Upper", "with space", "-dash", "trailing_", "a..b", "ünï"] {
                    let response = try await world.owner.api.post(path, ["name": name, "team": "devs"])
                    response.assertFieldErrors(["name": [invalid]], name)
                }
                for name in ["devspace", "viewer"] {
                    let response = try await world.owner.api.post(path, ["name": name, "team": "devs"])
                    response.assertFieldErrors(["name": ["has already been taken"]], "\(name): namespaces and users share names")
                }
                let blank = try await world.owner.api.post(path, ["name": "", "team": "devs"])
                blank.assertFieldErrors(["name": ["can't be blank"]])
                let long = try await world.owner.api.post(path, ["name": String(repeating: "a", count: 256), "team": "devs"])
                XCTAssertEqual(long.status.code, 422, long.text)
                XCTAssertEqual((long.json["message"] as? [String: [String]])?["name"]?.first, "is too long (maximum is 255 characters)", long.text)

                // Quay organizations' teams are not Portus teams.
                let owner = try await server.server.store.account(named: "owner")
                let quay = try await server.quay(client, as: try XCTUnwrap(owner))
                try await OrgKit.createOrganization(quay, "quayorg")
                let quayTeam = try await world.owner.api.post(path, ["name": "viaquay", "team": "owners"])
                quayTeam.assertPortus(404, "Not found")
            }
        }
    }

    func testValidateNamespaceName() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let cases: [(String, [String: [String]])] = [
                    ("fresh-name", [:]),
                    ("a.b_c-d9", [:]),
                    ("devspace", ["name": ["has already been taken"]]),
                    ("owner", ["name": ["has already been taken"]]),
                    ("Bad", ["name": [NamespaceService.invalidNameMessage]]),
                    ("", ["name": ["can't be blank"]]),
                ]
                for (name, messages) in cases {
                    let response = try await world.viewer.api.get("/api/v1/namespaces/validate?name=\(FormEncoding.escape(name))")
                    XCTAssertEqual(response.status, .ok, response.text)
                    response.assertKeys(PortusShape.status, name)
                    XCTAssertEqual(response.json["messages"] as? [String: [String]], messages, name)
                    XCTAssertEqual(response.json["valid"] as? Bool, messages.isEmpty, name)
                }
                let missing = try await world.viewer.api.get("/api/v1/namespaces/validate")
                missing.assertBadParameters([("name", ["is missing"])])
                let anonymous = try await world.anonymous.get("/api/v1/namespaces/validate?name=x")
                anonymous.assertPortus(401, "Authentication fails")
            }
        }
    }

    func testUpdateNamespace() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let id = world.namespaceID
                let path = "/api/v1/namespaces/\(id)"

                let described = try await PortusKit.updateNamespace(world.owner.api, id, ["description": "Our images"])
                described.assertKeys(PortusShape.namespace)
                XCTAssertEqual(described.ordered["description"]?.string, "Our images")
                let unchanged = try await world.owner.api.put(path, ["namespace": ["description": "Our images"]])
                XCTAssertEqual(unchanged.status.code, 422, unchanged.text)
                XCTAssertEqual(unchanged.ordered, .object([("message", .object([]))]), "a change to nothing: Portus's 422 with no fields")
                let noHash = try await world.owner.api.put(path, ["description": "flat"])
                noHash.assertBadParameters([("namespace", ["is missing"])])

                for user in [world.viewer, world.contributor, world.outsider] {
                    let refused = try await user.api.put(path, ["namespace": ["description": "by \(user.name)"]])
                    refused.assertPortus(403, "Authorization fails", user.name)
                }

                // Visibility: private → protected → public → private; Portus's enum names are not values, and an
                // empty value changes nothing.
                for given in ["protected", "public", "private"] {
                    let response = try await PortusKit.updateNamespace(world.owner.api, id, ["visibility": given])
                    XCTAssertEqual(response.ordered["visibility"]?.string, given, given)
                }
                let enumName = try await world.owner.api.put(path, ["namespace": ["visibility": "visibility_public"]])
                enumName.assertPortus(422, "unknown visibility kind 'visibility_public'")
                let blank = try await world.owner.api.put(path, ["namespace": ["visibility": "", "description": "blank visibility"]])
                XCTAssertEqual(blank.status, .ok, blank.text)
                XCTAssertEqual(blank.ordered["visibility"]?.string, "private")
                let badVisibility = try await world.owner.api.put(path, ["namespace": ["visibility": "secret"]])
                badVisibility.assertPortus(422, "unknown visibility kind 'secret'")

                // Renaming.
                let renamed = try await PortusKit.updateNamespace(world.root.api, id, ["name": "devspace2"])
                XCTAssertEqual(renamed.ordered["name"]?.string, "devspace2")
                let taken = try await world.owner.api.put(path, ["namespace": ["name": "owner"]])
                taken.assertFieldErrors(["name": ["has already been taken"]])
                let invalid = try await world.owner.api.put(path, ["namespace": ["name": "Not Valid"]])
                invalid.assertFieldErrors(["name": [NamespaceService.invalidNameMessage]])

                // Another team: unknown ones are named in the 404.
                let unknownTeam = try await world.owner.api.put(path, ["namespace": ["team": "ghosts"]])
                unknownTeam.assertPortus(404, "unknown team 'ghosts'")
                let otherTeam = try await PortusKit.createTeam(world.owner.api, "ops")
                let moved = try await PortusKit.updateNamespace(world.owner.api, id, ["team": "ops"])
                XCTAssertEqual(moved.ordered["team"]?["id"]?.int, otherTeam)
                XCTAssertEqual(moved.ordered["team"]?["name"]?.string, "ops")
                let viewerLost = try await world.viewer.api.get(path)
                viewerLost.assertPortus(403, "Authorization fails", "devs' viewer is not in ops")
                let teamNamespaces = try await world.owner.api.get("/api/v1/teams/\(otherTeam)/namespaces")
                XCTAssertEqual(teamNamespaces.assertList(PortusShape.namespace, count: 1).first?["id"]?.int, id)

                // A personal namespace keeps its name and has no team to change.
                let personal = "/api/v1/namespaces/\(world.outsider.id)"
                let personalDescription = try await PortusKit.updateNamespace(world.outsider.api, world.outsider.id, ["description": "mine"])
                XCTAssertEqual(personalDescription.ordered["description"]?.string, "mine")
                let personalName = try await world.outsider.api.put(personal, ["namespace": ["name": "renamed"]])
                personalName.assertFieldErrors(["name": ["cannot be changed for a personal namespace"]])
                let personalTeam = try await world.root.api.put(personal, ["namespace": ["team": "devs"]])
                personalTeam.assertFieldErrors(["team": ["cannot be changed for a personal namespace"]])
                let foreign = try await world.viewer.api.put(personal, ["namespace": ["description": "not mine"]])
                foreign.assertPortus(403, "Authorization fails")
                let unknown = try await world.root.api.put("/api/v1/namespaces/999999", ["namespace": ["description": "x"]])
                unknown.assertPortus(404, "Not found")
            }
        }
    }

    func testDeleteNamespace() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                try await world.push("devspace/app", tag: "v1", as: world.contributor)
                let path = "/api/v1/namespaces/\(world.namespaceID)"

                for user in [world.viewer, world.contributor, world.outsider] {
                    let refused = try await user.api.delete(path)
                    refused.assertPortus(403, "Authorization fails", user.name)
                }
                for user in [world.outsider, world.root] {
                    let personal = try await user.api.delete("/api/v1/namespaces/\(world.outsider.id)")
                    personal.assertPortus(422, "Cannot remove personal namespace", user.name)
                }
                let deleted = try await world.owner.api.delete(path)
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                XCTAssertEqual(deleted.body.readableBytes, 0)
                deleted.assertPortusCORS()
                let gone = try await world.owner.api.get(path)
                gone.assertPortus(404, "Not found")
                let repository = try await server.server.store.repository(namespace: "devspace", name: "app")
                XCTAssertNil(repository, "the namespace's repositories go with it")
                let pull = try await client.execute(uri: "/v2/devspace/app/manifests/v1", method: .get, headers: world.owner.basic)
                XCTAssertNotEqual(pull.status, .ok)
                let again = try await world.root.api.delete(path)
                again.assertPortus(404, "Not found")
            }
        }
    }

    func testListNamespacesAndTheirRepositories() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let protectedID = try await PortusKit.createNamespace(world.root.api, "shared", team: "devs")
                try await PortusKit.updateNamespace(world.root.api, protectedID, ["visibility": "protected"])
                let publicID = try await PortusKit.createNamespace(world.root.api, "open", team: "devs")
                try await PortusKit.updateNamespace(world.root.api, publicID, ["visibility": "public"])
                let hiddenID = try await PortusKit.createNamespace(world.root.api, "hidden", team: "devs")
                try await PortusKit.updateNamespace(world.root.api, world.outsider.id, ["visibility": "protected"])

                func names(_ user: PortusUser) async throws -> [String] {
                    let response = try await user.api.get("/api/v1/namespaces?all=true")
                    XCTAssertEqual(response.status, .ok, response.text)
                    return response.assertList(PortusShape.namespace).compactMap { $0["name"]?.string }
                }
                let outsiderSees = try await names(world.outsider)
                XCTAssertEqual(outsiderSees, ["outsider", "shared", "open"], "own, protected and public namespaces, in id order")
                let viewerSees = try await names(world.viewer)
                XCTAssertEqual(viewerSees, ["viewer", "outsider", "devspace", "shared", "open", "hidden"])
                let rootSees = try await names(world.root)
                XCTAssertEqual(rootSees, ["root", "owner", "contributor", "viewer", "outsider", "devspace", "shared", "open", "hidden"],
                               "an administrator sees every namespace but the one holding Portus's teams")
                XCTAssertGreaterThan(hiddenID, publicID)

                // A namespace's repositories, as the Repositories entity without `starred`/`destroyable` details.
                try await world.push("devspace/app", tag: "v1", as: world.owner)
                try await world.push("devspace/tool", tag: "v1", as: world.owner, layer: "tool")
                let repositories = try await world.viewer.api.get("/api/v1/namespaces/\(world.namespaceID)/repositories")
                XCTAssertEqual(repositories.status, .ok, repositories.text)
                let listed = repositories.assertList(PortusShape.repository, count: 2)
                XCTAssertEqual(listed.compactMap { $0["full_name"]?.string }, ["devspace/app", "devspace/tool"])
                XCTAssertEqual(listed.first?["namespace"]?.keys, PortusShape.repositoryNamespace)
                XCTAssertEqual(listed.first?["namespace"]?["id"]?.int, world.namespaceID)
                XCTAssertEqual(listed.first?["starred"]?.bool, false)
                XCTAssertEqual(listed.first?["destroyable"], .null, "lists leave destroyable null, as Portus does")
                XCTAssertEqual(repositories.header("X-Total"), nil, "not paginated")
                let outsider = try await world.outsider.api.get("/api/v1/namespaces/\(world.namespaceID)/repositories")
                outsider.assertPortus(403, "Authorization fails")
                let openRepositories = try await world.outsider.api.get("/api/v1/namespaces/\(publicID)/repositories")
                XCTAssertEqual(openRepositories.status, .ok, openRepositories.text)
                openRepositories.assertList(PortusShape.repository, count: 0)
            }
        }
    }
}
