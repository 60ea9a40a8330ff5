import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfOCI
import XCTest

/// The answers the OCI distribution specification asks for where Wharf once answered otherwise (the
/// conformance suite's findings): 404s for a repository its caller could create, the upload status with
/// `pull`, `Content-Range` on the final `PUT`, manifests with non-distributable layers, and 413 for an
/// oversized manifest sent chunked.
final class RegistrySpecAnswersTests: XCTestCase {
    func testAMissingRepositoryIsNotFoundForThoseWhoMayCreateItAndUnauthorizedForOthers() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.user("bob")
            try await server.run { client in
                let digest = Digest.of(Data("missing".utf8))
                let tags = try await client.execute(uri: "/v2/alice/none/tags/list", method: .get, headers: Auth.alice)
                XCTAssertEqual(tags.errorCode, "NAME_UNKNOWN")
                let blob = try await client.execute(uri: "/v2/alice/none/blobs/\(digest)", method: .get, headers: Auth.alice)
                XCTAssertEqual(blob.errorCode, "BLOB_UNKNOWN")
                let manifest = try await client.execute(uri: "/v2/alice/none/manifests/v1", method: .get, headers: Auth.alice)
                XCTAssertEqual(manifest.status, .notFound)
                let referrers = try await client.execute(uri: "/v2/alice/none/referrers/\(digest)", method: .get, headers: Auth.alice)
                XCTAssertEqual(referrers.status, .ok)
                XCTAssertEqual(referrers.header("Content-Type"), MediaType.ociIndex)
                XCTAssertEqual((referrers.json["manifests"] as? [Any])?.count, 0)

                // A pull token for a repository one may create is granted, and answers 404 likewise.
                let token = try await RegistryTokens.request(client, server: server, auth: Auth.alice, scope: "repository:alice/none:pull")
                XCTAssertEqual(RegistryTokens.actions(token.claims, on: "alice/none"), ["pull"])
                let bearer: HTTPFields = [.authorization: "Bearer \(try XCTUnwrap(token.token))"]
                let viaToken = try await client.execute(uri: "/v2/alice/none/tags/list", method: .get, headers: bearer)
                XCTAssertEqual(viaToken.errorCode, "NAME_UNKNOWN")
                let notCreated = try await server.server.store.repository(namespace: "alice", name: "none")
                XCTAssertNil(notCreated, "a pull token creates nothing")

                // Others learn nothing: 401, as for a private repository.
                let bobs = try await client.execute(uri: "/v2/alice/none/tags/list", method: .get, headers: Auth.bob)
                XCTAssertEqual(bobs.status, .unauthorized)
                let bobToken = try await RegistryTokens.request(client, server: server, auth: Auth.bob, scope: "repository:alice/none:pull")
                XCTAssertEqual(RegistryTokens.actions(bobToken.claims, on: "alice/none"), [])
            }
        }
    }

    func testUploadStatusNeedsPullAndTheFinalChunkMayNameItsRange() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let start = try await client.execute(uri: "/v2/alice/app/blobs/uploads/", method: .post, headers: Auth.alice)
                let location = try XCTUnwrap(start.header("Location"))
                let pullToken = try await RegistryTokens.request(client, server: server, auth: Auth.alice, scope: "repository:alice/app:pull")
                let status = try await client.execute(uri: location, method: .get, headers: [.authorization: "Bearer \(try XCTUnwrap(pullToken.token))"])
                XCTAssertEqual(status.status, .noContent, status.text)

                let data = "0123456789"
                let first = try await client.execute(uri: location, method: .patch, headers: Auth.alice.adding("Content-Range", "0-4"),
                                                     body: ByteBuffer(string: "01234"))
                XCTAssertEqual(first.status, .accepted)
                let digest = Digest.of(Data(data.utf8))
                let outOfOrder = try await client.execute(uri: location + "?digest=\(digest)", method: .put,
                                                          headers: Auth.alice.adding("Content-Range", "7-9"), body: ByteBuffer(string: "789"))
                XCTAssertEqual(outOfOrder.status, .rangeNotSatisfiable, outOfOrder.text)
                XCTAssertEqual(outOfOrder.header("Range"), "0-4")
                XCTAssertNotNil(outOfOrder.header("Location"))
                let last = try await client.execute(uri: location + "?digest=\(digest)", method: .put,
                                                    headers: Auth.alice.adding("Content-Range", "5-9"), body: ByteBuffer(string: "56789"))
                XCTAssertEqual(last.status, .created, last.text)
            }
        }
    }

    func testNonDistributableLayersNeedNotBeInTheRegistry() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let calls = RegistryCalls(client: client, auth: Auth.alice)
                let config = Fixtures.blob("{}")
                try await calls.pushBlob("alice/app", config)
                let foreign = "sha256:" + String(repeating: "b", count: 64)
                let manifest = """
                    {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)",\
                    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(config.digest)","size":2},\
                    "layers":[{"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip","digest":"\(foreign)","size":123,\
                    "urls":["https://example.com/layer"]}]}
                    """
                let pushed = try await calls.putManifest("alice/app", "v1", Data(manifest.utf8))
                XCTAssertEqual(pushed.status, .created, pushed.text)
                let withoutURLs = manifest.replacingOccurrences(of: #","urls":["https://example.com/layer"]"#, with: "")
                let refused = try await calls.putManifest("alice/app", "v2", Data(withoutURLs.utf8))
                XCTAssertEqual(refused.errorCode, "MANIFEST_BLOB_UNKNOWN", "without urls the registry must hold the layer")
            }
        }
    }

    func testAnOversizedManifestSentChunkedIsTooLarge() async throws {
        let server = try await TestServer.make(database: nil)
        try await server.user("alice")
        try await server.run { client in
            guard let port = client.port else { return XCTFail("no port") }
            let size = 4 * 1024 * 1024 + 10
            let chunk = String(repeating: " ", count: 1 << 20)
            var body = ""
            var sent = 0
            while sent < size {
                let piece = chunk.prefix(min(chunk.count, size - sent))
                body += String(piece.count, radix: 16) + "\r\n" + piece + "\r\n"
                sent += piece.count
            }
            body += "0\r\n\r\n"
            let head = "PUT /v2/alice/app/manifests/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWxpY2U6cGFzc3dvcmQx\r\n"
                + "Content-Type: \(MediaType.ociManifest)\r\nTransfer-Encoding: chunked\r\n\r\n"
            let answer = try RawHTTP.exchange(port: port, Data((head + body).utf8))
            XCTAssertTrue(answer.hasPrefix("HTTP/1.1 413"), String(answer.prefix(300)))
            XCTAssertTrue(answer.contains("SIZE_INVALID"), String(answer.prefix(500)))
        }
    }
}
