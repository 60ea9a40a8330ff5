import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import WharfOCI
import XCTest

/// The manifest view, labels (from the image config and through the API) and `quay.expires-after`.
final class QuayManifestTests: XCTestCase {
    static func expect(_ response: TestResponse, _ status: HTTPResponse.Status, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(response.status, status, response.text, file: file, line: line)
    }

    /// An image whose config has labels and a history of two layers (one `empty_layer` step between them).
    static func pushLabelledImage(_ registry: RegistryCalls, _ name: String, tag: String, labels: [String: String]) async throws -> String {
        let config: [String: Any] = [
            "architecture": "amd64", "os": "linux", "config": ["Labels": labels],
            "history": [
                ["created": "2026-01-02T03:04:05.123456789Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in /", "author": "alice"],
                ["created": "2026-01-02T03:04:06Z", "created_by": "/bin/sh -c #(nop) ENV A=1", "empty_layer": true],
                ["created": "2026-01-02T03:04:07Z", "created_by": "/bin/sh -c make", "comment": "built"],
            ],
        ]
        let configBytes = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        let configBlob = (ByteBuffer(bytes: configBytes), Digest.of(configBytes))
        let layers = [Fixtures.blob("layer one \(name)"), Fixtures.blob("layer two \(name)")]
        try await registry.pushBlob(name, configBlob)
        for layer in layers { try await registry.pushBlob(name, layer) }
        let manifest = Fixtures.imageManifest(config: configBlob, layers: layers)
        let response = try await registry.putManifest(name, tag, manifest)
        XCTAssertEqual(response.status, .created, response.text)
        return Digest.of(manifest).description
    }

    func testManifestViewWithLayerHistory() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let api = try await server.quay(client, as: alice)
                let registry = RegistryCalls(client: client, auth: Auth.alice)
                let digest = try await Self.pushLabelledImage(registry, "alice/app", tag: "v1", labels: [:])
                let view = try await api.get("/api/v1/repository/alice/app/manifest/\(digest)")
                Self.expect(view, .ok)
                XCTAssertEqual(view.json["digest"] as? String, digest)
                XCTAssertEqual(view.json["is_manifest_list"] as? Bool, false)
                XCTAssertEqual(view.json["config_media_type"] as? String, "application/vnd.oci.image.config.v1+json")
                XCTAssertEqual(view.json["layers_compressed_size"] as? Int, "layer one alice/app".utf8.count + "layer two alice/app".utf8.count)
                let data = try XCTUnwrap(view.json["manifest_data"] as? String)
                XCTAssertEqual(Digest.of(Data(data.utf8)).description, digest, "manifest_data is the exact pushed text")
                let layers = try XCTUnwrap(view.json["layers"] as? [[String: Any]], view.text)
                XCTAssertEqual(layers.count, 2)
                XCTAssertEqual(layers[0]["index"] as? Int, 0)
                XCTAssertEqual(layers[0]["command"] as? [String], ["/bin/sh -c #(nop) ADD file:abc in /"])
                XCTAssertEqual(layers[0]["author"] as? String, "alice")
                XCTAssertEqual(layers[0]["created_datetime"] as? String, "Fri, 02 Jan 2026 03:04:05 -0000")
                XCTAssertEqual(layers[1]["command"] as? [String], ["/bin/sh -c make"], "the empty_layer step made no layer")
                XCTAssertEqual(layers[1]["comment"] as? String, "built")
                XCTAssertEqual(layers[1]["is_remote"] as? Bool, false)
                XCTAssertEqual(layers[1]["blob_digest"] as? String, Fixtures.blob("layer two alice/app").digest.description)
                XCTAssertEqual(layers[1]["compressed_size"] as? Int, "layer two alice/app".utf8.count)

                try await api.get("/api/v1/repository/alice/app/manifest/sha256:" + String(repeating: "0", count: 64)).assertAPIError(404, "not_found")
                try await api.get("/api/v1/repository/alice/app/manifest/latest").assertAPIError(404, "not_found")
            }
        }
    }

    func testLabels() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let api = try await server.quay(client, as: alice)
                let registry = RegistryCalls(client: client, auth: Auth.alice)
                let digest = try await Self.pushLabelledImage(registry, "alice/app", tag: "v1",
                                                              labels: ["quay.expires-after": "2d", "maintainer": "alice@example.com"])
                let labelsPath = "/api/v1/repository/alice/app/manifest/\(digest)/labels"

                // Labels from the image config; quay.expires-after made the pushed tag expire two days after its push.
                let fromConfig = try await api.get(labelsPath)
                Self.expect(fromConfig, .ok)
                let configLabels = try XCTUnwrap(fromConfig.json["labels"] as? [[String: Any]])
                XCTAssertEqual(Set(configLabels.compactMap { $0["key"] as? String }), ["quay.expires-after", "maintainer"])
                XCTAssertTrue(configLabels.allSatisfy { $0["source_type"] as? String == "manifest" && $0["media_type"] as? String == "text/plain" })
                let listed = try await api.get("/api/v1/repository/alice/app/tag/?specificTag=v1")
                let tag = try XCTUnwrap(listed.json["tags"] as? [[String: Any]]).first
                let start = try XCTUnwrap(tag?["start_ts"] as? Int), end = try XCTUnwrap(tag?["end_ts"] as? Int)
                XCTAssertEqual(end - start, 2 * 86_400)

                // Through the API.
                let added = try await api.post(labelsPath, ["key": "env", "value": "{\"stage\": 1}", "media_type": "application/json"])
                Self.expect(added, .created)
                let label = try XCTUnwrap(added.json["label"] as? [String: Any], added.text)
                let id = try XCTUnwrap(label["id"] as? String)
                XCTAssertEqual(label["key"] as? String, "env")
                XCTAssertEqual(label["source_type"] as? String, "api")
                XCTAssertEqual(label["media_type"] as? String, "application/json")
                XCTAssertEqual(added.header("Location"), "\(labelsPath)/\(id)")
                let fetched = try await api.get("\(labelsPath)/\(id)")
                Self.expect(fetched, .ok)
                XCTAssertEqual(fetched.json["value"] as? String, "{\"stage\": 1}")
                let filtered = try await api.get("\(labelsPath)?filter=quay.")
                XCTAssertEqual((filtered.json["labels"] as? [[String: Any]])?.compactMap { $0["key"] as? String }, ["quay.expires-after"])

                try await api.post(labelsPath, ["key": "com.docker.thing", "value": "x", "media_type": NSNull()]).assertMessage(400)
                try await api.post(labelsPath, ["key": "Bad..Key", "value": "x", "media_type": NSNull()]).assertMessage(400)
                try await api.post(labelsPath, ["key": "fine", "value": "x", "media_type": "text/html"]).assertMessage(400)
                try await api.post(labelsPath, ["key": "fine"]).assertAPIError(400, "invalid_request")

                // An API quay.expires-after label sets the expiration of the tags pointing at the manifest.
                Self.expect(try await api.post(labelsPath, ["key": "quay.expires-after", "value": "1w", "media_type": NSNull()]), .created)
                let relisted = try await api.get("/api/v1/repository/alice/app/tag/?specificTag=v1")
                let relabelled = try XCTUnwrap(relisted.json["tags"] as? [[String: Any]]).first
                XCTAssertEqual(try XCTUnwrap(relabelled?["end_ts"] as? Int) - start, 7 * 86_400)

                // API labels can be deleted, labels from the image config cannot.
                Self.expect(try await api.delete("\(labelsPath)/\(id)"), .noContent)
                try await api.get("\(labelsPath)/\(id)").assertAPIError(404, "not_found")
                try await api.delete("\(labelsPath)/\(id)").assertAPIError(404, "not_found")
                let maintainer = try XCTUnwrap(configLabels.first { $0["key"] as? String == "maintainer" }?["id"] as? String)
                try await api.delete("\(labelsPath)/\(maintainer)").assertMessage(400)

                let kinds = try await server.server.store.logEntries(accountID: alice.id, limit: 100).map(\.kind)
                XCTAssertEqual(kinds.filter { $0 == "manifest_label_add" }.count, 2, "\(kinds)")
                XCTAssertEqual(kinds.filter { $0 == "manifest_label_delete" }.count, 1, "\(kinds)")
            }
        }
    }
}
