import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import WharfOCI
import XCTest

/// Requests that once took the server down, or got a wrong answer: numbers beyond Int64, values that
/// overflow once multiplied, nesting the request decides, NUL characters, ambiguous manifests. Each gets a
/// clear 400 (or is clamped where Quay clamps) and the server keeps answering.
final class HostileInputTests: XCTestCase {
    /// Asserts the server is alive and answering.
    static func assertAlive(_ client: any TestClientProtocol, file: StaticString = #filePath, line: UInt = #line) async throws {
        let ping = try await client.execute(uri: "/v2/", method: .get)
        XCTAssertEqual(ping.status, .unauthorized, "the server stopped answering", file: file, line: line)
    }

    func testTagHistoryPagesBeyondAnyOffsetAreRefused() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                _ = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("alice/open", tag: "v1")
                let found = try await server.server.store.repository(namespace: "alice", name: "open")
                let repository = try XCTUnwrap(found)
                try await server.server.store.setVisibility(repositoryID: repository.id, .public)
                let anonymous = QuayClient(client: client, token: nil)
                for page in ["9223372036854775807", "4611686018427387904", "1000000001"] {
                    for query in ["", "&onlyActiveTags=true&limit=1"] {
                        try await anonymous.get("/api/v1/repository/alice/open/tag/?page=\(page)\(query)").assertAPIError(400, "invalid_request")
                    }
                }
                let last = try await anonymous.get("/api/v1/repository/alice/open/tag/?page=1000000000&limit=100")
                XCTAssertEqual(last.status, .ok, last.text)
                XCTAssertEqual((last.json["tags"] as? [Any])?.count, 0)
                try await Self.assertAlive(client)
            }
        }
    }

    func testChunkRangesBeyondInt64AreRefused() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let start = try await client.execute(uri: "/v2/alice/app/blobs/uploads/", method: .post, headers: Auth.alice)
                let location = try XCTUnwrap(start.header("Location"))
                for range in ["0-9223372036854775807", "0-9223372036854775806", "1-9223372036854775807", "0-99999999999999999999"] {
                    let patch = try await client.execute(uri: location, method: .patch, headers: Auth.alice.adding("Content-Range", range),
                                                         body: ByteBuffer(string: "hello"))
                    XCTAssertTrue([.rangeNotSatisfiable, .contentTooLarge].contains(patch.status), "\(range): \(patch.status) \(patch.text)")
                }
                let status = try await client.execute(uri: location, method: .get, headers: Auth.alice)
                XCTAssertEqual(status.header("Range"), "0-0", "no refused chunk changed the upload")
                try await Self.assertAlive(client)
            }
        }
    }

    func testTagExpirationsBeyondAnyDateAreRefused() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                _ = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("alice/app", tag: "v1")
                let api = try await server.quay(client, as: alice)
                let path = "/api/v1/repository/alice/app/tag/v1"
                for raw in ["1e300", "9223372036854775807", "99999999999999999999", "-1e300", "253402300800"] {
                    let response = try await api.call(.put, path, json: nil, headers: [.contentType: "application/json"],
                                                      body: "{\"expiration\": \(raw)}")
                    response.assertAPIError(400, "invalid_request")
                }
                // Within the dates Python knows, a far expiration is clamped to 104 weeks after the push, as in Quay.
                let far = try await api.put(path, ["expiration": 253_402_300_799])
                XCTAssertEqual(far.status, .created, far.text)
                let repository = try await server.server.store.repository(namespace: "alice", name: "app")
                let alive = try await server.server.store.aliveTag(repositoryID: try XCTUnwrap(repository).id, name: "v1")
                let tag = try XCTUnwrap(alive)
                XCTAssertEqual(try XCTUnwrap(tag.endMs) - tag.startMs, TagService.expirationBounds.upperBound * 1000)
                try await Self.assertAlive(client)
            }
        }
    }

    /// A `quay.expires-after` label too long for a date (through the API or in a pushed image's config) is
    /// kept as a label but sets no expiration; tagging its manifest again works.
    func testExpiresAfterLabelsBeyondAnyDateAreIgnored() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let registry = RegistryCalls(client: client, auth: Auth.alice)
                let api = try await server.quay(client, as: alice)
                let huge = "9223372036854775807s"
                let pushed = try await QuayManifestTests.pushLabelledImage(registry, "alice/app", tag: "v1",
                                                                            labels: [MetadataStore.expiresAfterLabel: huge])
                let plain = try await QuayManifestTests.pushLabelledImage(registry, "alice/app", tag: "v2", labels: [:])
                let added = try await api.post("/api/v1/repository/alice/app/manifest/\(plain)/labels",
                                               ["key": MetadataStore.expiresAfterLabel, "value": "999999999999999999w", "media_type": "text/plain"])
                XCTAssertEqual(added.status, .created, added.text)
                for (tag, digest) in [("again", pushed), ("more", plain)] {
                    let moved = try await api.put("/api/v1/repository/alice/app/tag/\(tag)", ["manifest_digest": digest])
                    XCTAssertEqual(moved.status, .created, moved.text)
                    let alive = try await client.execute(uri: "/v2/alice/app/manifests/\(tag)", method: .get, headers: Auth.alice)
                    XCTAssertEqual(alive.status, .ok)
                }
                let history = try await api.get("/api/v1/repository/alice/app/tag/?page=11&limit=100")
                XCTAssertEqual(history.status, .ok, history.text)
                let rows = try await api.get("/api/v1/repository/alice/app/tag/")
                XCTAssertTrue(QuayTagTests.tags(rows).allSatisfy { $0["end_ts"] == nil }, rows.text)
                try await Self.assertAlive(client)
            }
        }
    }

    func testManifestsWithDuplicateKeysAreRefused() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let registry = RegistryCalls(client: client, auth: Auth.alice)
                let config = Fixtures.blob("{}")
                try await registry.pushBlob("alice/app", config)
                let unknown = "sha256:" + String(repeating: "a", count: 64)
                let ambiguous = """
                    {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)",\
                    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(config.digest)","size":2},\
                    "layers":[],"lay\\u0065rs":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(unknown)","size":1}]}
                    """
                let response = try await registry.putManifest("alice/app", "v1", Data(ambiguous.utf8))
                XCTAssertEqual(response.status, .badRequest, response.text)
                XCTAssertEqual(response.errorCode, "MANIFEST_INVALID")
                XCTAssertTrue(response.text.contains("layers"), response.text)
            }
        }
    }

    /// NUL characters in paths, queries and bodies are refused before they reach a name, a filter or the
    /// database (a `like:` filter with one once matched every tag on SQLite).
    func testNULCharactersAreRefusedEverywhere() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                _ = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("alice/app", tag: "v1")
                let api = try await server.quay(client, as: alice)
                try await api.get("/api/v1/repository/alice/app/tag/?filter_tag_name=like:%00").assertAPIError(400, "invalid_request")
                for path in ["/api/v1/users/a%00b", "/api/v1/organization/%00", "/api/v1/find/repositories?query=%00"] {
                    let response = try await api.get(path)
                    XCTAssertEqual(response.status, .badRequest, "\(path): \(response.text)")
                }
                let signin = try await api.call(.post, "/api/v1/signin", json: nil, headers: [.contentType: "application/json"],
                                                body: #"{"username":"al\u0000ice","password":"password1"}"#)
                signin.assertAPIError(400, "invalid_request")
                for path in ["/v2/alice/app/tags/list?last=%00", "/v2/alice/app/referrers/\(Digest.of(Data()))?artifactType=%00"] {
                    let response = try await client.execute(uri: path, method: .get, headers: Auth.alice)
                    XCTAssertEqual(response.status, .badRequest, "\(path): \(response.text)")
                }
                let nulUser = try await client.execute(uri: "/v2/auth?scope=repository:alice/app:pull", method: .get,
                                                       headers: .basic("al\u{0}ice", "password1"))
                XCTAssertTrue([.badRequest, .unauthorized].contains(nulUser.status), nulUser.text)
                let portus = try await client.execute(uri: "/api/v1/users/bootstrap", method: .post,
                                                      headers: [.contentType: "application/x-www-form-urlencoded"],
                                                      body: ByteBuffer(string: "user[username]=a%00b&user[email]=a@example.com&user[password]=password1"))
                XCTAssertEqual(portus.status, .badRequest, portus.text)
                try await Self.assertAlive(client)
            }
        }
    }

    func testTokenScopesThatCannotBeReadAreRefused() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                for scope in ["repository:foo", "repository:", "repository::", "repository:alice/app"] {
                    let response = try await client.execute(uri: "/v2/auth?scope=\(scope)", method: .get)
                    XCTAssertEqual(response.status, .badRequest, "\(scope): \(response.text)")
                }
                let many = (0..<21).map { "scope=repository:alice/app\($0):pull" }.joined(separator: "&")
                let refused = try await client.execute(uri: "/v2/auth?\(many)", method: .get, headers: Auth.alice)
                XCTAssertEqual(refused.status, .badRequest, refused.text)
                try await Self.assertAlive(client)
            }
        }
    }

    func testPortusParametersThatNestTooDeepOrHaveNoNameAreHandled() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let deep = "a" + String(repeating: "[b]", count: 50_000) + "=1"
                let response = try await client.execute(uri: "/api/v1/users/bootstrap", method: .post,
                                                        headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: deep))
                XCTAssertEqual(response.status, .badRequest, response.text)
                XCTAssertNotNil(response.json["message"])
                for path in ["/api/v1/_ping?=", "/api/v1/health?a=1&=&=="] {
                    let ping = try await client.execute(uri: path, method: .get)
                    XCTAssertEqual(ping.status, .ok, "\(path): \(ping.text)")
                }
                try await Self.assertAlive(client)
            }
        }
    }

    /// A malformed chunked body is the client's error in every API: 400 in that API's format, and the
    /// connection is closed (its byte stream cannot be read further).
    func testMalformedChunkedBodiesAreBadRequests() async throws {
        let server = try await TestServer.make(database: nil)
        try await server.user("alice")
        try await server.run { client in
            guard let port = client.port else { return XCTFail("no port") }
            let requests = [
                ("PUT /v2/alice/app/manifests/v1", "Authorization: Basic YWxpY2U6cGFzc3dvcmQx\r\n", "errors"),
                ("POST /api/v1/users/bootstrap", "Content-Type: application/json\r\n", "message"),
                ("POST /api/v1/signin", "Content-Type: application/json\r\n", "message"),
            ]
            for chunk in ["zz\r\nabc\r\n0\r\n\r\n", "-5\r\nabcde\r\n0\r\n\r\n", "ffffffffffffffffffff\r\nab\r\n0\r\n\r\n",
                          "3\r\nabcXY0\r\n\r\n", "3;\u{1}junk=\"\r\nabc\r\n0\r\n\r\n"] {
                for (line, headers, key) in requests {
                    let head = "\(line) HTTP/1.1\r\nHost: x\r\n\(headers)Transfer-Encoding: chunked\r\n\r\n"
                    let answer = try RawHTTP.exchange(port: port, Data((head + chunk).utf8))
                    XCTAssertTrue(answer.hasPrefix("HTTP/1.1 400"), "\(line) with \(chunk.debugDescription): \(answer.prefix(200))")
                    XCTAssertTrue(answer.contains("\"\(key)\""), "\(line): \(answer.prefix(400))")
                    XCTAssertFalse(answer.contains("HTTP/1.1 500"), answer)
                }
            }
            try await Self.assertAlive(client)
        }
    }
}
