import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import WharfOCI
import XCTest

/// `/api/v1/repositories…`, `/api/v1/tags…` and `/api/v1/vulnerabilities…`: what the registry holds, as
/// Portus presents it (portus.md §2.4, §2.5).
final class PortusRepositoryTests: XCTestCase {

    /// `devspace/app` with `v1` and `latest` on one image and `v2` on another, pushed by `owner`.
    static func pushApp(_ world: PortusWorld) async throws -> (repository: RepositoryRecord, tags: [String: Int64]) {
        try await world.push("devspace/app", tag: "v1", as: world.owner)
        let manifest = try await RegistryCalls(client: world.client, auth: world.owner.basic).putManifest(
            "devspace/app", "latest", Fixtures.imageManifest(config: Fixtures.blob("{\"config\":\"layer\"}"), layers: [Fixtures.blob("layer")]))
        XCTAssertEqual(manifest.status, .created, manifest.text)
        try await world.push("devspace/app", tag: "v2", as: world.owner, layer: "second layer")
        let repository = try await world.repository("devspace", "app")
        let tags = try await world.tagIDs(repository)
        XCTAssertEqual(Set(tags.keys), ["v1", "latest", "v2"])
        return (repository, tags)
    }

    func testRepositoriesAndTheirTags() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let (repository, tags) = try await Self.pushApp(world)
                let path = "/api/v1/repositories/\(repository.id)"

                let shown = try await world.owner.api.get(path)
                XCTAssertEqual(shown.status, .ok, shown.text)
                shown.assertKeys(PortusShape.repository)
                shown.assertPortusCORS()
                let view = shown.ordered
                XCTAssertEqual(view["id"]?.int, repository.id)
                XCTAssertEqual(view["name"]?.string, "app")
                XCTAssertEqual(view["full_name"]?.string, "devspace/app")
                XCTAssertEqual(view["description"], .null)
                XCTAssertEqual(view["namespace"]?.keys, PortusShape.repositoryNamespace)
                XCTAssertEqual(view["namespace"]?["id"]?.int, world.namespaceID)
                XCTAssertEqual(view["namespace"]?["name"]?.string, "devspace")
                XCTAssertEqual(view["registry_hostname"]?.string, server.configuration.effectiveServerHostname)
                XCTAssertEqual(view["stars"]?.int, 0)
                XCTAssertEqual(view["tags_count"]?.int, 3)
                XCTAssertEqual(view["starred"]?.bool, false)
                XCTAssertEqual(view["destroyable"]?.bool, true, "an owner may delete")
                XCTAssertTrue(PortusShape.isTime(view["created_at"]) && PortusShape.isTime(view["updated_at"]), "\(view)")
                let byViewer = try await world.viewer.api.get(path)
                XCTAssertEqual(byViewer.ordered["destroyable"]?.bool, false, "a viewer may not")
                let byContributor = try await world.contributor.api.get(path)
                XCTAssertEqual(byContributor.ordered["destroyable"]?.bool, false, "nor may a contributor (delete.contributors is off)")
                let byOutsider = try await world.outsider.api.get(path)
                byOutsider.assertPortus(403, "Authorization fails")

                // Stars, from the Quay API.
                let viewerAccount = try await server.server.store.account(named: "viewer")
                let quay = try await server.quay(client, as: try XCTUnwrap(viewerAccount))
                let star = try await quay.post("/api/v1/user/starred", ["namespace": "devspace", "repository": "app"])
                XCTAssertEqual(star.status, .created, star.text)
                let starred = try await world.viewer.api.get(path)
                XCTAssertEqual(starred.ordered["stars"]?.int, 1)
                XCTAssertEqual(starred.ordered["starred"]?.bool, true)
                let notStarred = try await world.owner.api.get(path)
                XCTAssertEqual(notStarred.ordered["stars"]?.int, 1)
                XCTAssertEqual(notStarred.ordered["starred"]?.bool, false)

                // Tags of the repository, in id order.
                let tagList = try await world.viewer.api.get("\(path)/tags")
                XCTAssertEqual(tagList.status, .ok, tagList.text)
                let listed = tagList.assertList(PortusShape.tag, count: 3)
                XCTAssertEqual(listed.compactMap { $0["name"]?.string }, ["v1", "latest", "v2"])
                XCTAssertEqual(tagList.header("X-Total"), nil, "not paginated")
                let config = Fixtures.blob("{\"config\":\"layer\"}"), layer = Fixtures.blob("layer")
                let manifest = Fixtures.imageManifest(config: config, layers: [layer])
                let v1 = listed[0]
                XCTAssertEqual(v1["id"]?.int, tags["v1"])
                XCTAssertEqual(v1["author"]?.keys, PortusShape.author)
                XCTAssertEqual(v1["author"]?["id"]?.int, world.owner.id)
                XCTAssertEqual(v1["author"]?["name"]?.string, "owner")
                XCTAssertEqual(v1["digest"]?.string, Digest.of(manifest).description)
                XCTAssertEqual(v1["image_id"]?.string, String(config.digest.description.dropFirst("sha256:".count)))
                XCTAssertEqual(v1["size"]?.int, Int64(config.bytes.readableBytes + layer.bytes.readableBytes))
                XCTAssertEqual(v1["scanned"]?.int, 0)
                XCTAssertEqual(v1["vulnerabilities"], .null)
                XCTAssertTrue(PortusShape.isTime(v1["created_at"]) && PortusShape.isTime(v1["updated_at"]), "\(v1)")
                XCTAssertEqual(listed[1]["digest"], v1["digest"])
                XCTAssertNotEqual(listed[2]["digest"], v1["digest"])

                // Grouped by image, the most recent group first.
                let grouped = try await world.viewer.api.get("\(path)/tags/grouped")
                XCTAssertEqual(grouped.status, .ok, grouped.text)
                let groups = grouped.ordered.items
                XCTAssertEqual(groups.map { $0.items.compactMap { $0["name"]?.string } }, [["v2"], ["v1", "latest"]])
                for group in groups { for tag in group.items { XCTAssertEqual(tag.keys, PortusShape.tag) } }

                // One tag: by its id, under any repository id (as Portus looks it up).
                let v1ID = try XCTUnwrap(tags["v1"])
                let single = try await world.viewer.api.get("\(path)/tags/\(v1ID)")
                XCTAssertEqual(single.status, .ok, single.text)
                XCTAssertEqual(single.ordered, v1)
                let underOther = try await world.viewer.api.get("/api/v1/repositories/999999/tags/\(v1ID)")
                XCTAssertEqual(underOther.ordered, v1)
                let tag = try await world.viewer.api.get("/api/v1/tags/\(v1ID)")
                XCTAssertEqual(tag.status, .ok, tag.text)
                XCTAssertEqual(tag.ordered, v1)
                for forbidden in ["\(path)/tags", "\(path)/tags/grouped", "\(path)/tags/\(v1ID)", "/api/v1/tags/\(v1ID)"] {
                    let response = try await world.outsider.api.get(forbidden)
                    response.assertPortus(403, "Authorization fails", forbidden)
                }
                for unknown in ["/api/v1/repositories/999999", "/api/v1/repositories/abc", "/api/v1/repositories/999999/tags",
                                "/api/v1/repositories/999999/tags/grouped", "\(path)/tags/999999", "/api/v1/tags/999999", "/api/v1/tags/abc"] {
                    let response = try await world.root.api.get(unknown)
                    response.assertPortus(404, "Not found", unknown)
                }
            }
        }
    }

    func testListRepositoriesAndTags() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                _ = try await Self.pushApp(world)
                try await world.push("outsider/own", tag: "v1", as: world.outsider)
                let openID = try await PortusKit.createNamespace(world.root.api, "open", team: "devs")
                try await PortusKit.updateNamespace(world.root.api, openID, ["visibility": "public"])
                try await world.push("open/pub", tag: "v1", as: world.owner)
                let sharedID = try await PortusKit.createNamespace(world.root.api, "shared", team: "devs")
                try await PortusKit.updateNamespace(world.root.api, sharedID, ["visibility": "protected"])
                try await world.push("shared/prot", tag: "v1", as: world.owner)

                func names(_ user: PortusUser) async throws -> [String] {
                    let response = try await user.api.get("/api/v1/repositories")
                    XCTAssertEqual(response.status, .ok, response.text)
                    let items = response.assertList(PortusShape.repository)
                    for item in items {
                        XCTAssertEqual(item["starred"]?.bool, false)
                        XCTAssertEqual(item["destroyable"], .null)
                    }
                    return items.compactMap { $0["full_name"]?.string }
                }
                let viewerSees = try await names(world.viewer)
                XCTAssertEqual(viewerSees, ["devspace/app", "open/pub", "shared/prot"])
                let outsiderSees = try await names(world.outsider)
                XCTAssertEqual(outsiderSees, ["outsider/own", "open/pub", "shared/prot"],
                               "own, public and (unlike Portus's list) protected namespaces' repositories")
                let rootSees = try await names(world.root)
                XCTAssertEqual(rootSees, ["devspace/app", "outsider/own", "open/pub", "shared/prot"])
                let anonymous = try await world.anonymous.get("/api/v1/repositories")
                anonymous.assertPortus(401, "Authentication fails")

                // Every tag: administrators only.
                let allTags = try await world.root.api.get("/api/v1/tags")
                XCTAssertEqual(allTags.status, .ok, allTags.text)
                XCTAssertEqual(allTags.assertList(PortusShape.tag, count: 6).compactMap { $0["name"]?.string }, ["v1", "latest", "v2", "v1", "v1", "v1"])
                XCTAssertEqual(allTags.header("X-Total"), "6")
                for user in [world.owner, world.viewer, world.outsider] {
                    let refused = try await user.api.get("/api/v1/tags")
                    refused.assertPortus(403, "Authorization fails", user.name)
                }
            }
        }
    }

    func testUpdateAndDeleteRepositoriesAndTags() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let (repository, tags) = try await Self.pushApp(world)
                let path = "/api/v1/repositories/\(repository.id)"

                let described = try await world.owner.api.put(path, ["repository": ["description": "The app"]])
                XCTAssertEqual(described.status, .ok, described.text)
                described.assertKeys(PortusShape.repository)
                XCTAssertEqual(described.ordered["description"]?.string, "The app")
                XCTAssertEqual(described.ordered["destroyable"]?.bool, true)
                let formDescribed = try await world.root.api.call(.put, path, form: [("repository[description]", "Our app")])
                XCTAssertEqual(formDescribed.ordered["description"]?.string, "Our app")
                let flat = try await world.owner.api.put(path, ["description": "flat"])
                flat.assertBadParameters([("repository", ["is missing"])])
                for user in [world.viewer, world.contributor, world.outsider] {
                    let refused = try await user.api.put(path, ["repository": ["description": "by \(user.name)"]])
                    refused.assertPortus(403, "Authorization fails", user.name)
                }
                let unknown = try await world.root.api.put("/api/v1/repositories/999999", ["repository": ["description": "x"]])
                unknown.assertPortus(404, "Not found")

                // Deleting a tag deletes every tag of its image; the repository stays.
                let latestID = try XCTUnwrap(tags["latest"])
                for user in [world.viewer, world.contributor, world.outsider] {
                    let refused = try await user.api.delete("/api/v1/tags/\(latestID)")
                    refused.assertPortus(403, "Authorization fails", user.name)
                }
                let deletedTag = try await world.owner.api.delete("/api/v1/tags/\(latestID)")
                XCTAssertEqual(deletedTag.status, .noContent, deletedTag.text)
                XCTAssertEqual(deletedTag.body.readableBytes, 0)
                deletedTag.assertPortusCORS()
                let remaining = try await world.owner.api.get("\(path)/tags")
                XCTAssertEqual(remaining.assertList(PortusShape.tag, count: 1).first?["name"]?.string, "v2")
                let v1Gone = try await world.owner.api.get("/api/v1/tags/\(try XCTUnwrap(tags["v1"]))")
                v1Gone.assertPortus(404, "Not found")
                let pullV1 = try await client.execute(uri: "/v2/devspace/app/manifests/v1", method: .get, headers: world.owner.basic)
                XCTAssertEqual(pullV1.status, .notFound, "the tag is gone from the registry too")
                let pullV2 = try await client.execute(uri: "/v2/devspace/app/manifests/v2", method: .get, headers: world.owner.basic)
                XCTAssertEqual(pullV2.status, .ok)
                let again = try await world.owner.api.delete("/api/v1/tags/\(latestID)")
                again.assertPortus(404, "Not found")

                // Deleting the repository.
                for user in [world.viewer, world.contributor, world.outsider] {
                    let refused = try await user.api.delete(path)
                    refused.assertPortus(403, "Authorization fails", user.name)
                }
                let deleted = try await world.owner.api.delete(path)
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                XCTAssertEqual(deleted.body.readableBytes, 0)
                let gone = try await world.owner.api.get(path)
                gone.assertPortus(404, "Not found")
                let pull = try await client.execute(uri: "/v2/devspace/app/manifests/v2", method: .get, headers: world.owner.basic)
                XCTAssertNotEqual(pull.status, .ok)
                let deletedAgain = try await world.root.api.delete(path)
                deletedAgain.assertPortus(404, "Not found")
            }
        }
    }

    func testTagsOfIndexesAndOfDeletedPushers() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let manifest = try await world.push("devspace/app", tag: "v1", as: world.contributor)
                let index = try JSONSerialization.data(withJSONObject: [
                    "schemaVersion": 2, "mediaType": MediaType.ociIndex,
                    "manifests": [["mediaType": MediaType.ociManifest, "digest": Digest.of(manifest).description, "size": manifest.count]],
                ] as [String: Any], options: [.sortedKeys])
                let pushed = try await RegistryCalls(client: client, auth: world.owner.basic).putManifest("devspace/app", "multi", index, type: MediaType.ociIndex)
                XCTAssertEqual(pushed.status, .created, pushed.text)
                let repository = try await world.repository("devspace", "app")

                let tags = try await world.owner.api.get("/api/v1/repositories/\(repository.id)/tags")
                let listed = Dictionary(uniqueKeysWithValues: tags.assertList(PortusShape.tag, count: 2).map { ($0["name"]?.string ?? "", $0) })
                let multi = try XCTUnwrap(listed["multi"])
                XCTAssertEqual(multi["digest"]?.string, Digest.of(index).description)
                XCTAssertEqual(multi["image_id"]?.string, "", "an index has no image")
                XCTAssertEqual(multi["size"], .null)
                XCTAssertEqual(multi["author"]?["name"]?.string, "owner")
                XCTAssertEqual(listed["v1"]?["author"]?["name"]?.string, "contributor")

                // The pusher's account goes; the tag stays, with no author.
                let deleted = try await world.root.api.delete("/api/v1/users/\(world.contributor.id)")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                let after = try await world.owner.api.get("/api/v1/repositories/\(repository.id)/tags")
                let v1 = after.assertList(PortusShape.tag, count: 2).first { $0["name"]?.string == "v1" }
                XCTAssertEqual(v1?["author"], .object([("id", .null), ("name", .null)]))
            }
        }
    }

    func testVulnerabilityRescans() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let (_, tags) = try await Self.pushApp(world)
                let v1 = try XCTUnwrap(tags["v1"])

                let all = try await world.root.api.post("/api/v1/vulnerabilities")
                XCTAssertEqual(all.status, .accepted, all.text)
                XCTAssertEqual(all.text, "202")
                all.assertPortusCORS()
                let one = try await world.root.api.post("/api/v1/vulnerabilities/\(v1)")
                XCTAssertEqual(one.status, .accepted, one.text)
                XCTAssertEqual(one.text, "202")
                let tag = try await world.root.api.get("/api/v1/tags/\(v1)")
                XCTAssertEqual(tag.ordered["scanned"]?.int, 0, "not scanned")
                let unknown = try await world.root.api.post("/api/v1/vulnerabilities/999999")
                unknown.assertPortus(404, "Not found")
                for user in [world.owner, world.outsider] {
                    for path in ["/api/v1/vulnerabilities", "/api/v1/vulnerabilities/\(v1)"] {
                        let refused = try await user.api.post(path)
                        refused.assertPortus(403, "Authorization fails", "\(user.name) \(path)")
                    }
                }
                let anonymous = try await world.anonymous.post("/api/v1/vulnerabilities")
                anonymous.assertPortus(401, "Authentication fails")
            }
        }
    }
}
