import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import WharfOCI
import XCTest

/// The tag endpoints and the time machine: history, moving, deleting, restoring, expiration.
final class QuayTagTests: XCTestCase {
    static func expect(_ response: TestResponse, _ status: HTTPResponse.Status, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(response.status, status, response.text, file: file, line: line)
    }

    static func tags(_ response: TestResponse) -> [[String: Any]] { response.json["tags"] as? [[String: Any]] ?? [] }

    /// Push v1 and v2, point `latest` at v1 then v2, delete it, restore it to v1: the history shows every
    /// step, the registry follows, and the audit log has each kind.
    func testMoveDeleteRestoreAndHistory() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let api = try await server.quay(client, as: alice)
                let registry = RegistryCalls(client: client, auth: Auth.alice)
                let v1 = Digest.of(try await registry.pushImage("alice/app", tag: "v1", layer: "one")).description
                let v2 = Digest.of(try await registry.pushImage("alice/app", tag: "v2", layer: "two")).description
                let tagPath = "/api/v1/repository/alice/app/tag/latest"

                let created = try await api.put(tagPath, ["manifest_digest": v1])
                Self.expect(created, .created)
                XCTAssertEqual(String(buffer: created.body).trimmingCharacters(in: .whitespacesAndNewlines), "\"Updated\"")
                Self.expect(try await api.put(tagPath, ["manifest_digest": v2]), .created)
                let pulled = try await client.execute(uri: "/v2/alice/app/manifests/latest", method: .get, headers: Auth.alice)
                XCTAssertEqual(pulled.header("Docker-Content-Digest"), v2)
                try await api.put(tagPath, ["manifest_digest": "sha256:" + String(repeating: "0", count: 64)]).assertAPIError(404, "not_found")
                try await api.put("/api/v1/repository/alice/app/tag/-bad", ["manifest_digest": v1]).assertAPIError(400, "invalid_request")

                Self.expect(try await api.delete(tagPath), .noContent)
                try await api.delete(tagPath).assertAPIError(404, "not_found")
                Self.expect(try await client.execute(uri: "/v2/alice/app/manifests/latest", method: .get, headers: Auth.alice), .notFound)

                let history = try await api.get("/api/v1/repository/alice/app/tag/?specificTag=latest")
                Self.expect(history, .ok)
                let rows = Self.tags(history)
                XCTAssertEqual(rows.map { $0["manifest_digest"] as? String }, [v2, v1], history.text)
                for row in rows {
                    XCTAssertEqual(row["name"] as? String, "latest")
                    XCTAssertEqual(row["reversion"] as? Bool, false)
                    XCTAssertEqual(row["is_manifest_list"] as? Bool, false)
                    XCTAssertEqual(row["size"] as? Int, 3)
                    XCTAssertNotNil(row["start_ts"] as? Int)
                    XCTAssertNotNil(row["end_ts"] as? Int, "both rows ended")
                    XCTAssertNotNil(row["expiration"] as? String)
                    XCTAssertNotNil(row["last_modified"] as? String)
                }
                XCTAssertEqual(history.json["page"] as? Int, 1)
                XCTAssertEqual(history.json["has_additional"] as? Bool, false)

                let restored = try await api.post(tagPath + "/restore", ["manifest_digest": v1])
                Self.expect(restored, .ok)
                XCTAssertEqual(restored.json.count, 0, restored.text)
                let again = try await client.execute(uri: "/v2/alice/app/manifests/latest", method: .get, headers: Auth.alice)
                XCTAssertEqual(again.header("Docker-Content-Digest"), v1)
                let active = Self.tags(try await api.get("/api/v1/repository/alice/app/tag/?onlyActiveTags=true"))
                XCTAssertEqual(Set(active.compactMap { $0["name"] as? String }), ["v1", "v2", "latest"])
                let latest = try XCTUnwrap(active.first { $0["name"] as? String == "latest" })
                XCTAssertEqual(latest["reversion"] as? Bool, true)
                XCTAssertNil(latest["end_ts"])
                try await api.post(tagPath + "/restore", [String: Any]()).assertAPIError(400, "invalid_request")
                try await api.post(tagPath + "/restore", ["manifest_digest": "sha256:" + String(repeating: "1", count: 64)])
                    .assertAPIError(404, "not_found")

                let kinds = try await server.server.store.logEntries(accountID: alice.id, limit: 100).map(\.kind)
                for kind in ["create_tag", "move_tag", "delete_tag", "revert_tag"] {
                    XCTAssertTrue(kinds.contains(kind), "\(kind) in \(kinds)")
                }
            }
        }
    }

    /// `filter_tag_name`, `limit` bounds and pages walked to the end.
    func testFiltersAndPages() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let api = try await server.quay(client, as: alice)
                let registry = RegistryCalls(client: client, auth: Auth.alice)
                let digest = Digest.of(try await registry.pushImage("alice/app", tag: "base")).description
                for name in ["a_1", "a%2", "b-1", "B-2"] {
                    Self.expect(try await api.put("/api/v1/repository/alice/app/tag/\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name)",
                                                  ["manifest_digest": digest]), name == "a%2" ? .badRequest : .created)
                }
                func names(_ query: String) async throws -> [String] {
                    let response = try await api.get("/api/v1/repository/alice/app/tag/?\(query)")
                    XCTAssertEqual(response.status, .ok, response.text)
                    return Self.tags(response).compactMap { $0["name"] as? String }.sorted()
                }
                let contains = try await names("filter_tag_name=like:b-")
                XCTAssertEqual(contains, ["B-2", "b-1"], "like: is a case-insensitive contains")
                let underscore = try await names("filter_tag_name=like:_")
                XCTAssertEqual(underscore, ["a_1"], "_ is matched literally")
                let exact = try await names("filter_tag_name=eq:b-1")
                XCTAssertEqual(exact, ["b-1"])
                let unknownOperator = try await names("filter_tag_name=regex:b")
                XCTAssertEqual(unknownOperator.count, 4, "an unknown operator is ignored, as in Quay")
                try await api.get("/api/v1/repository/alice/app/tag/?filter_tag_name=b").assertMessage(400)
                try await api.get("/api/v1/repository/alice/app/tag/?limit=x").assertMessage(400)

                var seen: [String] = []
                var page = 1
                while true {
                    let response = try await api.get("/api/v1/repository/alice/app/tag/?limit=1&page=\(page)")
                    XCTAssertEqual(response.json["page"] as? Int, page)
                    let rows = Self.tags(response)
                    XCTAssertEqual(rows.count, 1, response.text)
                    seen += rows.compactMap { $0["name"] as? String }
                    guard response.json["has_additional"] as? Bool == true else { break }
                    page += 1
                }
                XCTAssertEqual(seen.sorted(), ["B-2", "a_1", "b-1", "base"])
                let clamped = try await api.get("/api/v1/repository/alice/app/tag/?limit=0")
                XCTAssertEqual(Self.tags(clamped).count, 1, "limit is at least 1")
                let beyond = try await api.get("/api/v1/repository/alice/app/tag/?page=9")
                XCTAssertEqual(Self.tags(beyond).count, 0)
                XCTAssertEqual(beyond.json["has_additional"] as? Bool, false)
            }
        }
    }

    /// Setting, clamping and clearing a tag's expiration; an expired tag disappears from the registry.
    func testExpiration() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let api = try await server.quay(client, as: alice)
                let registry = RegistryCalls(client: client, auth: Auth.alice)
                _ = try await registry.pushImage("alice/app", tag: "v1")
                let path = "/api/v1/repository/alice/app/tag/v1"
                func row() async throws -> [String: Any] {
                    let response = try await api.get("/api/v1/repository/alice/app/tag/?specificTag=v1")
                    return try XCTUnwrap(Self.tags(response).first)
                }
                func end() async throws -> Int? { try await row()["end_ts"] as? Int }
                let first = try await row()
                let start = try XCTUnwrap(first["start_ts"] as? Int)
                let inTwoHours = Int(Date().timeIntervalSince1970) + 7_200
                Self.expect(try await api.put(path, ["expiration": inTwoHours]), .created)
                let endInTwoHours = try await end()
                XCTAssertEqual(endInTwoHours, inTwoHours)
                Self.expect(try await api.put(path, ["expiration": start + 10 * 365 * 86_400]), .created)
                let endCapped = try await end()
                XCTAssertEqual(endCapped, start + 104 * 7 * 86_400, "kept within 104 weeks")
                Self.expect(try await api.put(path, ["expiration": Int(Date().timeIntervalSince1970) + 60]), .created)
                let endFloored = try await end()
                XCTAssertEqual(endFloored, start + 3_600, "at least an hour after the push")
                try await api.put(path, ["expiration": Int(Date().timeIntervalSince1970) - 60]).assertAPIError(400, "invalid_request")
                Self.expect(try await api.put(path, ["expiration": NSNull()]), .created)
                let cleared = try await end()
                XCTAssertNil(cleared)
                try await api.put("/api/v1/repository/alice/app/tag/ghost", ["expiration": inTwoHours]).assertAPIError(404, "not_found")
                let kinds = try await server.server.store.logEntries(accountID: alice.id, limit: 100).map(\.kind)
                XCTAssertEqual(kinds.filter { $0 == "change_tag_expiration" }.count, 4, "\(kinds)")

                // Past its expiration the tag is gone from the registry (and from the active tags).
                let store = server.server.store
                let found = try await store.repository(namespace: "alice", name: "app")
                let repository = try XCTUnwrap(found)
                let alive = try await store.aliveTag(repositoryID: repository.id, name: "v1")
                let ended = try await store.setTagEnd(try XCTUnwrap(alive), to: MetadataStore.nowMs() - 1)
                XCTAssertTrue(ended)
                let expired = try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .get, headers: Auth.alice)
                XCTAssertEqual(expired.status, .notFound)
                let active = try await api.get("/api/v1/repository/alice/app/tag/?onlyActiveTags=true")
                XCTAssertEqual(Self.tags(active).count, 0)
            }
        }
    }

    /// With a time-machine window of 0 seconds a deleted tag is gone for good: not listed, not restorable.
    func testTimeMachineWindow() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let api = try await server.quay(client, as: alice)
                try await OrgKit.createOrganization(api, "acme")
                let registry = RegistryCalls(client: client, auth: Auth.alice)
                let digest = Digest.of(try await registry.pushImage("acme/app", tag: "v1")).description
                Self.expect(try await api.put("/api/v1/organization/acme", ["tag_expiration_s": 0]), .ok)
                Self.expect(try await api.delete("/api/v1/repository/acme/app/tag/v1"), .noContent)
                let listed = try await api.get("/api/v1/repository/acme/app/tag/")
                XCTAssertEqual(Self.tags(listed).count, 0)
                try await api.post("/api/v1/repository/acme/app/tag/v1/restore", ["manifest_digest": digest]).assertAPIError(404, "not_found")
            }
        }
    }

    /// Tag changes need a repository in the NORMAL state (Quay: 503 with a message).
    func testReadOnlyRepositoryRefusesTagChanges() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let api = try await server.quay(client, as: alice)
                let digest = Digest.of(try await RegistryCalls(client: client, auth: Auth.alice).pushImage("alice/app", tag: "v1")).description
                Self.expect(try await api.put("/api/v1/repository/alice/app/changestate", ["state": "READ_ONLY"]), .ok)
                try await api.put("/api/v1/repository/alice/app/tag/v2", ["manifest_digest": digest]).assertMessage(503)
                try await api.delete("/api/v1/repository/alice/app/tag/v1").assertMessage(503)
                try await api.post("/api/v1/repository/alice/app/tag/v1/restore", ["manifest_digest": digest]).assertMessage(503)
                Self.expect(try await api.get("/api/v1/repository/alice/app/tag/"), .ok)
            }
        }
    }
}
