import Foundation
import HTTPTypes
import HummingbirdTesting
import WharfMetadata
import WharfTestSupport
import XCTest

/// A tag deleted through `/v2`, the Quay API or the Portus API takes the one path (`TagService`): each
/// is logged alike as `delete_tag`, each stays restorable, and each is refused alike in a repository that
/// takes no changes.
final class TagDeletionPathTests: XCTestCase {
    func testEachAPIDeletesATagThroughTheDomainAndObeysItsRules() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                for tag in ["v1", "v2", "v3", "v4"] { try await world.push("devspace/app", tag: tag, as: world.owner, layer: "layer-\(tag)") }
                let found = try await world.store.account(named: "owner")
                let owner = try XCTUnwrap(found)
                let quay = try await server.quay(client, as: owner)
                let repository = try await world.repository("devspace", "app")
                let registry = RegistryCalls(client: client, auth: world.owner.basic)

                let viaRegistry = try await client.execute(uri: "/v2/devspace/app/manifests/v1", method: .delete, headers: world.owner.basic)
                XCTAssertEqual(viaRegistry.status, .accepted, viaRegistry.text)
                let viaQuay = try await quay.delete("/api/v1/repository/devspace/app/tag/v2")
                XCTAssertEqual(viaQuay.status, .noContent, viaQuay.text)
                let tagIDs = try await world.tagIDs(repository)
                let viaPortus = try await world.owner.api.delete("/api/v1/tags/\(try XCTUnwrap(tagIDs["v3"]))")
                XCTAssertEqual(viaPortus.status, .noContent, viaPortus.text)

                try await server.server.deliverer.flush()
                let namespace = try await world.store.account(named: "devspace")
                let entries = try await world.store.logEntries(accountID: try XCTUnwrap(namespace).id, limit: 200).filter { $0.kind == "delete_tag" }
                let deleted = entries.map { AuditLogTests.metadata($0)["tag"] as? String }
                XCTAssertEqual(Set(deleted.compactMap { $0 }), ["v1", "v2", "v3"], "one delete_tag per API: \(deleted)")
                for entry in entries {
                    XCTAssertEqual(entry.performerId, owner.id)
                    XCTAssertEqual(entry.repositoryId, repository.id)
                    XCTAssertNotNil(AuditLogTests.metadata(entry)["manifest_digest"] as? String, entry.metadataJson)
                }
                let history = try await quay.get("/api/v1/repository/devspace/app/tag/?specificTag=v1&onlyActiveTags=false")
                XCTAssertFalse(((history.json["tags"] as? [Any]) ?? []).isEmpty, "a tag deleted through /v2 stays in the time machine")

                let readOnly = try await quay.put("/api/v1/repository/devspace/app/changestate", ["state": "READ_ONLY"])
                XCTAssertEqual(readOnly.status, .ok, readOnly.text)
                let refusedRegistry = try await client.execute(uri: "/v2/devspace/app/manifests/v4", method: .delete, headers: world.owner.basic)
                XCTAssertTrue([.unauthorized, .forbidden].contains(refusedRegistry.status), refusedRegistry.text)
                let refusedQuay = try await quay.delete("/api/v1/repository/devspace/app/tag/v4")
                XCTAssertEqual(refusedQuay.status.code, 503, refusedQuay.text)
                let v4 = try await world.tagIDs(repository)["v4"]
                let refusedPortus = try await world.owner.api.delete("/api/v1/tags/\(try XCTUnwrap(v4))")
                XCTAssertGreaterThanOrEqual(refusedPortus.status.code, 400, refusedPortus.text)
                let alive = try await registry.client.execute(uri: "/v2/devspace/app/manifests/v4", method: .head, headers: world.owner.basic)
                XCTAssertEqual(alive.status, .ok, "a refused deletion changes nothing")
            }
        }
    }
}
