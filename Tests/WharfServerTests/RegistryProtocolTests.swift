import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfMetadata
import WharfTestSupport
import WharfOCI
import XCTest

/// The OCI distribution protocol end to end, over a live server on loopback, on every test database.
final class RegistryProtocolTests: XCTestCase {

    func testBaseEndpointChallengesAnonymousAndAcceptsBasic() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let anonymous = try await client.execute(uri: "/v2/", method: .get)
                XCTAssertEqual(anonymous.status, .unauthorized)
                XCTAssertEqual(anonymous.header("Docker-Distribution-API-Version"), "registry/2.0")
                XCTAssertTrue(anonymous.header("WWW-Authenticate")?.hasPrefix("Bearer realm=\"http://") == true)
                XCTAssertTrue(anonymous.header("WWW-Authenticate")?.contains("/v2/auth\",service=\"") == true)
                let authed = try await client.execute(uri: "/v2/", method: .get, headers: Auth.alice)
                XCTAssertEqual(authed.status, .ok)
                let wrong = try await client.execute(uri: "/v2/", method: .get, headers: .basic("alice", "wrong-password"))
                XCTAssertEqual(wrong.status, .unauthorized)
                XCTAssertEqual(wrong.errorCode, "UNAUTHORIZED")
            }
        }
    }

    func testMonolithicUploadAndBlobReadsWithRanges() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let blob = Fixtures.blob("0123456789abcdef")
                let post = try await client.execute(uri: "/v2/alice/app/blobs/uploads/?digest=\(blob.digest)", method: .post,
                                                    headers: Auth.alice, body: blob.bytes)
                XCTAssertEqual(post.status, .created)
                XCTAssertEqual(post.header("Docker-Content-Digest"), blob.digest.description)
                XCTAssertEqual(post.header("Location"), "/v2/alice/app/blobs/\(blob.digest)")

                let head = try await client.execute(uri: "/v2/alice/app/blobs/\(blob.digest)", method: .head, headers: Auth.alice)
                XCTAssertEqual(head.status, .ok)
                XCTAssertEqual(head.header("Content-Length"), "16")
                XCTAssertEqual(head.header("Docker-Content-Digest"), blob.digest.description)

                let get = try await client.execute(uri: "/v2/alice/app/blobs/\(blob.digest)", method: .get, headers: Auth.alice)
                XCTAssertEqual(get.text, "0123456789abcdef")

                let partial = try await client.execute(uri: "/v2/alice/app/blobs/\(blob.digest)", method: .get,
                                                       headers: Auth.alice.adding("Range", "bytes=2-5"))
                XCTAssertEqual(partial.status, .partialContent)
                XCTAssertEqual(partial.text, "2345")
                XCTAssertEqual(partial.header("Content-Range"), "bytes 2-5/16")

                let suffix = try await client.execute(uri: "/v2/alice/app/blobs/\(blob.digest)", method: .get,
                                                      headers: Auth.alice.adding("Range", "bytes=-3"))
                XCTAssertEqual(suffix.text, "def")

                let beyond = try await client.execute(uri: "/v2/alice/app/blobs/\(blob.digest)", method: .get,
                                                      headers: Auth.alice.adding("Range", "bytes=100-200"))
                XCTAssertEqual(beyond.status, .rangeNotSatisfiable)
                XCTAssertEqual(beyond.header("Content-Range"), "bytes */16")

                let unknown = Fixtures.blob("never uploaded")
                let missing = try await client.execute(uri: "/v2/alice/app/blobs/\(unknown.digest)", method: .get, headers: Auth.alice)
                XCTAssertEqual(missing.status, .notFound)
                XCTAssertEqual(missing.errorCode, "BLOB_UNKNOWN")
            }
        }
    }

    func testChunkedUploadWithStatusAndOutOfOrderChunk() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let start = try await client.execute(uri: "/v2/alice/app/blobs/uploads/", method: .post, headers: Auth.alice)
                XCTAssertEqual(start.status, .accepted)
                let location = try XCTUnwrap(start.header("Location"))
                XCTAssertNotNil(start.header("Docker-Upload-UUID"))

                let first = try await client.execute(uri: location, method: .patch,
                                                     headers: Auth.alice.adding("Content-Range", "0-4"), body: ByteBuffer(string: "hello"))
                XCTAssertEqual(first.status, .accepted)
                XCTAssertEqual(first.header("Range"), "0-4")

                let status = try await client.execute(uri: location, method: .get, headers: Auth.alice)
                XCTAssertEqual(status.status, .noContent)
                XCTAssertEqual(status.header("Range"), "0-4")

                let gap = try await client.execute(uri: location, method: .patch,
                                                   headers: Auth.alice.adding("Content-Range", "10-14"), body: ByteBuffer(string: "world"))
                XCTAssertEqual(gap.status, .rangeNotSatisfiable)
                XCTAssertEqual(gap.header("Range"), "0-4")

                let second = try await client.execute(uri: location, method: .patch,
                                                      headers: Auth.alice.adding("Content-Range", "5-10"), body: ByteBuffer(string: " world"))
                XCTAssertEqual(second.header("Range"), "0-10")

                let digest = Digest.of(Data("hello world!".utf8))
                let put = try await client.execute(uri: location + "?digest=\(digest)", method: .put, headers: Auth.alice,
                                                   body: ByteBuffer(string: "!"))
                XCTAssertEqual(put.status, .created)
                let get = try await client.execute(uri: "/v2/alice/app/blobs/\(digest)", method: .get, headers: Auth.alice)
                XCTAssertEqual(get.text, "hello world!")
                let gone = try await client.execute(uri: location, method: .get, headers: Auth.alice)
                XCTAssertEqual(gone.status, .notFound)
                XCTAssertEqual(gone.errorCode, "BLOB_UPLOAD_UNKNOWN")
            }
        }
    }

    func testWrongDigestKeepsNothing() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let claimed = Fixtures.blob("what the client claims")
                let mono = try await client.execute(uri: "/v2/alice/app/blobs/uploads/?digest=\(claimed.digest)", method: .post,
                                                    headers: Auth.alice, body: ByteBuffer(string: "something else"))
                XCTAssertEqual(mono.status, .badRequest)
                XCTAssertEqual(mono.errorCode, "DIGEST_INVALID")
                let actual = Digest.of(Data("something else".utf8))
                for digest in [claimed.digest, actual] {
                    let head = try await client.execute(uri: "/v2/alice/app/blobs/\(digest)", method: .head, headers: Auth.alice)
                    XCTAssertEqual(head.status, .notFound)
                }

                let start = try await client.execute(uri: "/v2/alice/app/blobs/uploads/", method: .post, headers: Auth.alice)
                let location = try XCTUnwrap(start.header("Location"))
                let put = try await client.execute(uri: location + "?digest=\(claimed.digest)", method: .put, headers: Auth.alice,
                                                   body: ByteBuffer(string: "different bytes"))
                XCTAssertEqual(put.errorCode, "DIGEST_INVALID")
                let status = try await client.execute(uri: location, method: .get, headers: Auth.alice)
                XCTAssertEqual(status.status, .notFound, "a failed upload is discarded")
                let stale = try await server.server.store.staleUploads(beforeMs: Int64.max, limit: 10)
                XCTAssertEqual(stale, [])
                let stagedParts = try await server.server.blobs.driver.list(prefix: "uploads/")
                XCTAssertEqual(stagedParts, [], "no part of a failed upload is kept")
            }
        }
    }

    func testTruncatedBodyLeavesNoBlobAndKeepsUploadState() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let port = try XCTUnwrap(client.port)
                let full = Data(repeating: 0x61, count: 100_000)
                let digest = Digest.of(full)
                let auth = Auth.alice[.authorization]!
                try RawHTTP.sendTruncated(port: port, head: """
                    POST /v2/alice/app/blobs/uploads/?digest=\(digest) HTTP/1.1\r
                    Host: 127.0.0.1\r
                    Authorization: \(auth)\r
                    Content-Length: 100000\r
                    \r

                    """, partialBody: full.prefix(40_000))
                let head = try await client.execute(uri: "/v2/alice/app/blobs/\(digest)", method: .head, headers: Auth.alice)
                XCTAssertEqual(head.status, .notFound)

                let start = try await client.execute(uri: "/v2/alice/app/blobs/uploads/", method: .post, headers: Auth.alice)
                let location = try XCTUnwrap(start.header("Location"))
                _ = try await client.execute(uri: location, method: .patch, headers: Auth.alice, body: ByteBuffer(bytes: full.prefix(10)))
                try RawHTTP.sendTruncated(port: port, head: """
                    PATCH \(location) HTTP/1.1\r
                    Host: 127.0.0.1\r
                    Authorization: \(auth)\r
                    Content-Length: 50000\r
                    \r

                    """, partialBody: full.prefix(20_000))
                try await Task.sleep(for: .milliseconds(300))
                let status = try await client.execute(uri: location, method: .get, headers: Auth.alice)
                XCTAssertEqual(status.header("Range"), "0-9", "an interrupted chunk does not count")
                let rest = full.dropFirst(10)
                let put = try await client.execute(uri: location + "?digest=\(digest)", method: .put, headers: Auth.alice,
                                                   body: ByteBuffer(bytes: rest))
                XCTAssertEqual(put.status, .created, put.text)
                let get = try await client.execute(uri: "/v2/alice/app/blobs/\(digest)", method: .get, headers: Auth.alice)
                XCTAssertEqual(Data(get.body.readableBytesView), full)
            }
        }
    }

    func testUploadSurvivesRestart() async throws {
        try await withEachDatabase { database in
            let directory = NSTemporaryDirectory() + "wharf-restart-" + UUID().uuidString
            let first = try await TestServer.make(database: database, dataDirectory: directory)
            try await first.user("alice")
            let location = UnsafeSendableBox<String>()
            try await first.run { client in
                let start = try await client.execute(uri: "/v2/alice/app/blobs/uploads/", method: .post, headers: Auth.alice)
                location.value = start.header("Location")
                _ = try await client.execute(uri: location.value!, method: .patch, headers: Auth.alice, body: ByteBuffer(string: "first half, "))
            }
            let second = try await TestServer.make(database: database, dataDirectory: directory)
            try await second.run { client in
                let url = try XCTUnwrap(location.value)
                let status = try await client.execute(uri: url, method: .get, headers: Auth.alice)
                XCTAssertEqual(status.header("Range"), "0-11")
                _ = try await client.execute(uri: url, method: .patch, headers: Auth.alice, body: ByteBuffer(string: "second half"))
                let digest = Digest.of(Data("first half, second half".utf8))
                let put = try await client.execute(uri: url + "?digest=\(digest)", method: .put, headers: Auth.alice)
                XCTAssertEqual(put.status, .created, put.text)
            }
        }
    }

    func testManifestPushPullDeleteAndTimeMachineError() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let calls = RegistryCalls(client: client, auth: Auth.alice)
                let manifest = try await calls.pushImage("alice/app", tag: "v1")
                let digest = Digest.of(manifest).description

                let byTag = try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .get,
                                                     headers: Auth.alice.adding("Accept", MediaType.ociManifest))
                XCTAssertEqual(byTag.status, .ok)
                XCTAssertEqual(byTag.header("Content-Type"), MediaType.ociManifest)
                XCTAssertEqual(byTag.header("Docker-Content-Digest"), digest)
                XCTAssertEqual(Data(byTag.body.readableBytesView), manifest)

                let head = try await client.execute(uri: "/v2/alice/app/manifests/\(digest)", method: .head, headers: Auth.alice)
                XCTAssertEqual(head.status, .ok)
                XCTAssertEqual(head.header("Content-Length"), String(manifest.count))

                let deleteTag = try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .delete, headers: Auth.alice)
                XCTAssertEqual(deleteTag.status, .accepted)
                let expired = try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .get, headers: Auth.alice)
                XCTAssertEqual(expired.status, .notFound)
                XCTAssertEqual(expired.errorCode, "MANIFEST_UNKNOWN", "a spec code; the message says the time machine can restore it")
                XCTAssertTrue(expired.text.contains("time machine"), expired.text)
                let byDigest = try await client.execute(uri: "/v2/alice/app/manifests/\(digest)", method: .get, headers: Auth.alice)
                XCTAssertEqual(byDigest.errorCode, "MANIFEST_UNKNOWN")

                let retagged = try await calls.putManifest("alice/app", "v2", manifest)
                XCTAssertEqual(retagged.status, .created)
                let deleteDigest = try await client.execute(uri: "/v2/alice/app/manifests/\(digest)", method: .delete, headers: Auth.alice)
                XCTAssertEqual(deleteDigest.status, .accepted)
                let tags = try await client.execute(uri: "/v2/alice/app/tags/list", method: .get, headers: Auth.alice)
                XCTAssertEqual(tags.json["tags"] as? [String], [])
                let again = try await client.execute(uri: "/v2/alice/app/manifests/\(digest)", method: .delete, headers: Auth.alice)
                XCTAssertEqual(again.errorCode, "MANIFEST_UNKNOWN")
            }
        }
    }

    func testManifestValidationErrors() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let calls = RegistryCalls(client: client, auth: Auth.alice)
                let config = Fixtures.blob("{}")
                try await calls.pushBlob("alice/app", config)
                let unknownLayer = Fixtures.blob("never pushed")
                let missing = try await calls.putManifest("alice/app", "v1", Fixtures.imageManifest(config: config, layers: [unknownLayer]))
                XCTAssertEqual(missing.status, .badRequest)
                XCTAssertEqual(missing.errorCode, "MANIFEST_BLOB_UNKNOWN")
                let tags = try await client.execute(uri: "/v2/alice/app/tags/list", method: .get, headers: Auth.alice)
                XCTAssertEqual(tags.json["tags"] as? [String], [], "a refused manifest leaves no tag")

                var huge = Data("{\"schemaVersion\":2,\"padding\":\"".utf8)
                huge.append(Data(repeating: 0x61, count: 4 * 1024 * 1024))
                huge.append(Data("\"}".utf8))
                let tooBig = try await calls.putManifest("alice/app", "big", huge)
                XCTAssertEqual(tooBig.status, .contentTooLarge)
                XCTAssertEqual(tooBig.errorCode, "SIZE_INVALID")

                let garbage = try await calls.putManifest("alice/app", "bad", Data("not json".utf8))
                XCTAssertEqual(garbage.errorCode, "MANIFEST_INVALID")
                let schema1 = try await calls.putManifest("alice/app", "old", Data("{\"schemaVersion\":1}".utf8), type: MediaType.dockerSchema1)
                XCTAssertEqual(schema1.status, .unsupportedMediaType)

                let manifest = Fixtures.imageManifest(config: config, layers: [])
                let wrongDigest = Digest.of(Data("other".utf8))
                let mismatch = try await calls.putManifest("alice/app", wrongDigest.description, manifest)
                XCTAssertEqual(mismatch.errorCode, "DIGEST_INVALID")
            }
        }
    }

    func testInvalidNamesAreRefused() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                for path in ["/v2/alice/../etc/manifests/latest", "/v2/Alice/App/manifests/latest", "/v2/alice/a..b/tags/list",
                             "/v2/app/tags/list", "/v2/alice/-app/blobs/uploads/"] {
                    let method: HTTPRequest.Method = path.hasSuffix("uploads/") ? .post : .get
                    let response = try await client.execute(uri: path, method: method, headers: Auth.alice)
                    XCTAssertEqual(response.status, .badRequest, path)
                    XCTAssertEqual(response.errorCode, "NAME_INVALID", path)
                }
                let nested = try await client.execute(uri: "/v2/alice/team/app/blobs/uploads/", method: .post, headers: Auth.alice)
                XCTAssertEqual(nested.status, .accepted, "names of several components are accepted")
            }
        }
    }

    func testAccessRules() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.user("bob")
            try await server.run { client in
                let calls = RegistryCalls(client: client, auth: Auth.alice)
                _ = try await calls.pushImage("alice/private", tag: "v1")

                let anonymousPush = try await client.execute(uri: "/v2/alice/private/blobs/uploads/", method: .post)
                XCTAssertEqual(anonymousPush.status, .unauthorized)
                XCTAssertEqual(anonymousPush.header("WWW-Authenticate")?.contains("scope=\"repository:alice/private:pull,push\""), true)

                let foreignPush = try await client.execute(uri: "/v2/alice/other/blobs/uploads/", method: .post, headers: Auth.bob)
                XCTAssertEqual(foreignPush.status, .unauthorized)
                XCTAssertEqual(foreignPush.errorCode, "UNAUTHORIZED")

                let privatePull = try await client.execute(uri: "/v2/alice/private/manifests/v1", method: .get, headers: Auth.bob)
                let missingPull = try await client.execute(uri: "/v2/alice/missing/manifests/v1", method: .get, headers: Auth.bob)
                XCTAssertEqual(privatePull.status, .unauthorized)
                XCTAssertEqual(missingPull.status, .unauthorized, "a private repository and a missing one look the same")
                XCTAssertEqual(privatePull.text, missingPull.text.replacingOccurrences(of: "missing", with: "private"))

                let anonymousPull = try await client.execute(uri: "/v2/alice/private/tags/list", method: .get)
                XCTAssertEqual(anonymousPull.status, .unauthorized)

                let ownMissing = try await client.execute(uri: "/v2/alice/missing/tags/list", method: .get, headers: Auth.alice)
                XCTAssertEqual(ownMissing.status, .notFound)
                XCTAssertEqual(ownMissing.errorCode, "NAME_UNKNOWN")

                let bobCatalog = try await client.execute(uri: "/v2/_catalog", method: .get, headers: Auth.bob)
                XCTAssertEqual(bobCatalog.json["repositories"] as? [String], [])
            }
        }
    }

    func testTokenAuthenticationGrantsOnlyWhatTheCallerMayDo() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.user("bob")
            try await server.run { client in
                let service = server.configuration.effectiveServerHostname
                let tokenResponse = try await client.execute(
                    uri: "/v2/auth?service=\(service)&scope=repository:alice/app:pull,push", method: .get, headers: Auth.alice)
                XCTAssertEqual(tokenResponse.status, .ok)
                let token = try XCTUnwrap(tokenResponse.json["token"] as? String)
                let claims = try Self.claims(of: token)
                XCTAssertEqual(claims["sub"] as? String, "alice")
                let access = try XCTUnwrap(claims["access"] as? [[String: Any]])
                XCTAssertEqual(access.first?["actions"] as? [String], ["pull", "push"])
                XCTAssertEqual(try Self.header(of: token)["alg"] as? String, "RS256")
                XCTAssertNotNil(try Self.header(of: token)["kid"])

                let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
                let calls = RegistryCalls(client: client, auth: bearer)
                _ = try await calls.pushImage("alice/app", tag: "v1")
                let pulled = try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .get, headers: bearer)
                XCTAssertEqual(pulled.status, .ok)
                let otherRepo = try await client.execute(uri: "/v2/alice/else/tags/list", method: .get, headers: bearer)
                XCTAssertEqual(otherRepo.status, .unauthorized, "the token covers only the repository it names: 401, so clients fetch a wider one")
                XCTAssertEqual(otherRepo.errorCode, "UNAUTHORIZED")
                XCTAssertEqual(otherRepo.header("WWW-Authenticate")?.hasSuffix("scope=\"repository:alice/else:pull\",error=\"insufficient_scope\""), true)

                let bobToken = try await client.execute(
                    uri: "/v2/auth?service=\(service)&scope=repository:alice/app:pull,push", method: .get, headers: Auth.bob)
                XCTAssertEqual(bobToken.status, .ok)
                let bobClaims = try Self.claims(of: try XCTUnwrap(bobToken.json["token"] as? String))
                XCTAssertEqual((bobClaims["access"] as? [[String: Any]])?.first?["actions"] as? [String], [])

                let badScope = try await client.execute(uri: "/v2/auth?service=\(service)&scope=repository:alice/app:fly",
                                                        method: .get, headers: Auth.alice)
                XCTAssertEqual(badScope.status, .badRequest)
                let wrongPassword = try await client.execute(uri: "/v2/auth?service=\(service)&scope=repository:alice/app:pull",
                                                             method: .get, headers: .basic("alice", "nope-nope"))
                XCTAssertEqual(wrongPassword.status, .unauthorized)
                let malformed = try await client.execute(uri: "/v2/auth?service=\(service)&scope=repository:alice/app:pull",
                                                         method: .get, headers: [.authorization: "Digest whatever"])
                XCTAssertEqual(malformed.status, .unauthorized, "an unreadable Authorization header is refused, not taken as anonymous")
                let forged = try await client.execute(uri: "/v2/alice/app/tags/list", method: .get,
                                                      headers: [.authorization: "Bearer \(token.dropLast(4))AAAA"])
                XCTAssertEqual(forged.status, .unauthorized)
            }
        }
    }

    func testTagListAndCatalogPaginate() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let calls = RegistryCalls(client: client, auth: Auth.alice)
                let manifest = try await calls.pushImage("alice/app", tag: "t0")
                for index in 1..<5 { _ = try await calls.putManifest("alice/app", "t\(index)", manifest) }
                var seen: [String] = []
                var next: String? = "/v2/alice/app/tags/list?n=2"
                while let uri = next {
                    let page = try await client.execute(uri: uri, method: .get, headers: Auth.alice)
                    seen += page.json["tags"] as? [String] ?? []
                    next = page.header("Link").map { String($0.dropFirst().prefix(while: { $0 != ">" })) }
                }
                XCTAssertEqual(seen, ["t0", "t1", "t2", "t3", "t4"])

                _ = try await calls.pushImage("alice/b", tag: "x")
                _ = try await calls.pushImage("alice/c", tag: "x")
                let firstPage = try await client.execute(uri: "/v2/_catalog?n=2", method: .get, headers: Auth.alice)
                XCTAssertEqual(firstPage.json["repositories"] as? [String], ["alice/app", "alice/b"])
                let link = try XCTUnwrap(firstPage.header("Link"))
                let prefix = "<http://\(server.configuration.effectiveServerHostname)/v2/_catalog?n=2&next_page="
                XCTAssertTrue(link.hasPrefix(prefix) && link.hasSuffix(">; rel=\"next\""), link)
                let nextURI = String(link.dropFirst(prefix.count - "/v2/_catalog?n=2&next_page=".count).prefix(while: { $0 != ">" }))
                let secondPage = try await client.execute(uri: nextURI, method: .get, headers: Auth.alice)
                XCTAssertEqual(secondPage.json["repositories"] as? [String], ["alice/c"])
                XCTAssertNil(secondPage.header("Link"))
                let clamped = try await client.execute(uri: "/v2/_catalog?n=0", method: .get, headers: Auth.alice)
                XCTAssertEqual(clamped.json["repositories"] as? [String], ["alice/app"], "n is at least 1, as in Quay")
                let unreadable = try await client.execute(uri: "/v2/_catalog?n=2&next_page=garbage", method: .get, headers: Auth.alice)
                XCTAssertEqual(unreadable.json["repositories"] as? [String], ["alice/app", "alice/b"], "an unreadable token starts over")
            }
        }
    }

    func testIndexesNeedTheirChildrenAndNegotiateByAccept() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let calls = RegistryCalls(client: client, auth: Auth.alice)
                let child = try await calls.pushImage("alice/multi", tag: "amd64-only")
                let childDigest = Digest.of(child).description
                let index = try JSONSerialization.data(withJSONObject: [
                    "schemaVersion": 2, "mediaType": MediaType.ociIndex,
                    "manifests": [["mediaType": MediaType.ociManifest, "digest": childDigest, "size": child.count,
                                   "platform": ["os": "linux", "architecture": "amd64"]]],
                ] as [String: Any])
                let unknownChild = try JSONSerialization.data(withJSONObject: [
                    "schemaVersion": 2, "mediaType": MediaType.ociIndex,
                    "manifests": [["mediaType": MediaType.ociManifest, "digest": Digest.of(Data("x".utf8)).description, "size": 1]],
                ] as [String: Any])
                let refused = try await calls.putManifest("alice/multi", "broken", unknownChild, type: MediaType.ociIndex)
                XCTAssertEqual(refused.errorCode, "MANIFEST_BLOB_UNKNOWN")
                let stored = try await calls.putManifest("alice/multi", "latest", index, type: MediaType.ociIndex)
                XCTAssertEqual(stored.status, .created)

                let asIndex = try await client.execute(uri: "/v2/alice/multi/manifests/latest", method: .get,
                                                       headers: Auth.alice.adding("Accept", "\(MediaType.ociIndex), \(MediaType.ociManifest)"))
                XCTAssertEqual(asIndex.header("Content-Type"), MediaType.ociIndex)
                let asImage = try await client.execute(uri: "/v2/alice/multi/manifests/latest", method: .get,
                                                       headers: Auth.alice.adding("Accept", MediaType.ociManifest))
                XCTAssertEqual(asImage.header("Content-Type"), MediaType.ociManifest)
                XCTAssertEqual(asImage.header("Docker-Content-Digest"), childDigest)
            }
        }
    }

    func testReferrers() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let calls = RegistryCalls(client: client, auth: Auth.alice)
                let subject = try await calls.pushImage("alice/app", tag: "v1")
                let subjectDigest = Digest.of(subject).description
                let empty = Fixtures.blob("{}")
                let signature = Fixtures.blob("signature")
                try await calls.pushBlob("alice/app", empty)
                try await calls.pushBlob("alice/app", signature)
                let referrer = Fixtures.imageManifest(config: empty, layers: [signature], subject: (subjectDigest, subject.count),
                                                      artifactType: "application/vnd.example.sig", annotations: ["kind": "test"])
                let referrerDigest = Digest.of(referrer).description
                let put = try await calls.putManifest("alice/app", referrerDigest, referrer)
                XCTAssertEqual(put.status, .created)
                XCTAssertEqual(put.header("OCI-Subject"), subjectDigest)

                let list = try await client.execute(uri: "/v2/alice/app/referrers/\(subjectDigest)", method: .get, headers: Auth.alice)
                XCTAssertEqual(list.header("Content-Type"), MediaType.ociIndex)
                let manifests = try XCTUnwrap(list.json["manifests"] as? [[String: Any]])
                XCTAssertEqual(manifests.count, 1)
                XCTAssertEqual(manifests.first?["digest"] as? String, referrerDigest)
                XCTAssertEqual(manifests.first?["artifactType"] as? String, "application/vnd.example.sig")
                XCTAssertEqual((manifests.first?["annotations"] as? [String: String])?["kind"], "test")

                let filtered = try await client.execute(uri: "/v2/alice/app/referrers/\(subjectDigest)?artifactType=application/other",
                                                        method: .get, headers: Auth.alice)
                XCTAssertEqual(filtered.header("OCI-Filters-Applied"), "artifactType")
                XCTAssertEqual((filtered.json["manifests"] as? [Any])?.count, 0)

                let unknown = try await client.execute(uri: "/v2/alice/app/referrers/\(Digest.of(Data("none".utf8)))", method: .get,
                                                       headers: Auth.alice)
                XCTAssertEqual(unknown.status, .ok)
                XCTAssertEqual((unknown.json["manifests"] as? [Any])?.count, 0)
            }
        }
    }

    func testCrossRepositoryMountAndFallback() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.user("bob")
            try await server.run { client in
                let blob = Fixtures.blob("shared layer")
                try await RegistryCalls(client: client, auth: Auth.alice).pushBlob("alice/source", blob)
                let mounted = try await client.execute(uri: "/v2/alice/target/blobs/uploads/?mount=\(blob.digest)&from=alice/source",
                                                       method: .post, headers: Auth.alice)
                XCTAssertEqual(mounted.status, .created)
                XCTAssertEqual(mounted.header("Docker-Content-Digest"), blob.digest.description)
                let head = try await client.execute(uri: "/v2/alice/target/blobs/\(blob.digest)", method: .head, headers: Auth.alice)
                XCTAssertEqual(head.status, .ok)

                let fallback = try await client.execute(uri: "/v2/bob/mine/blobs/uploads/?mount=\(blob.digest)&from=alice/source",
                                                        method: .post, headers: Auth.bob)
                XCTAssertEqual(fallback.status, .accepted, "an unreadable source falls back to a new upload session")
                let bobHead = try await client.execute(uri: "/v2/bob/mine/blobs/\(blob.digest)", method: .head, headers: Auth.bob)
                XCTAssertEqual(bobHead.status, .notFound)
            }
        }
    }

    /// Deleting a blob removes it from the repository whatever linked it there, a manifest too (as in
    /// distribution); pushing a manifest that needs it again asks for it again.
    func testBlobDeleteUnlinksTheBlob() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let calls = RegistryCalls(client: client, auth: Auth.alice)
                let loose = Fixtures.blob("loose")
                try await calls.pushBlob("alice/app", loose)
                let deleted = try await client.execute(uri: "/v2/alice/app/blobs/\(loose.digest)", method: .delete, headers: Auth.alice)
                XCTAssertEqual(deleted.status, .accepted)
                let head = try await client.execute(uri: "/v2/alice/app/blobs/\(loose.digest)", method: .head, headers: Auth.alice)
                XCTAssertEqual(head.status, .notFound)
                let twice = try await client.execute(uri: "/v2/alice/app/blobs/\(loose.digest)", method: .delete, headers: Auth.alice)
                XCTAssertEqual(twice.errorCode, "BLOB_UNKNOWN")

                let manifest = try await calls.pushImage("alice/app", tag: "v1", layer: "used")
                let used = Fixtures.blob("used")
                let unlinked = try await client.execute(uri: "/v2/alice/app/blobs/\(used.digest)", method: .delete, headers: Auth.alice)
                XCTAssertEqual(unlinked.status, .accepted)
                let gone = try await client.execute(uri: "/v2/alice/app/blobs/\(used.digest)", method: .get, headers: Auth.alice)
                XCTAssertEqual(gone.errorCode, "BLOB_UNKNOWN")
                let repushed = try await calls.putManifest("alice/app", "v2", manifest)
                XCTAssertEqual(repushed.errorCode, "MANIFEST_BLOB_UNKNOWN", "the manifest needs the deleted blob again")
                try await calls.pushBlob("alice/app", used)
                let restored = try await calls.putManifest("alice/app", "v2", manifest)
                XCTAssertEqual(restored.status, .created, restored.text)
            }
        }
    }

    func testAbandonedUploadsAreSwept() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database) { $0.uploadExpiration = 0 }
            try await server.user("alice")
            try await server.run { client in
                let start = try await client.execute(uri: "/v2/alice/app/blobs/uploads/", method: .post, headers: Auth.alice)
                let location = try XCTUnwrap(start.header("Location"))
                try await Task.sleep(for: .milliseconds(5))
                let removed = try await server.server.janitor.sweep()
                XCTAssertEqual(removed.expiredUploads, 1)
                let status = try await client.execute(uri: location, method: .get, headers: Auth.alice)
                XCTAssertEqual(status.status, .notFound)
            }
        }
    }

    /// Deleting an organization removes its upload sessions with it; the janitor then removes the staged
    /// bytes that no session owns any more.
    func testStagedUploadsOfDeletedNamespacesAreSwept() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database) { $0.storageReconcileGrace = 0 }
            let alice = try await server.user("alice")
            try await server.run { client in
                let api = try await server.quay(client, as: alice)
                let created = try await api.post("/api/v1/organization/", ["name": "acme"])
                XCTAssertEqual(created.status, .created)
                let start = try await client.execute(uri: "/v2/acme/app/blobs/uploads/", method: .post, headers: Auth.alice)
                XCTAssertEqual(start.status, .accepted, start.text)
                let id = try XCTUnwrap(start.header("Docker-Upload-UUID"))
                let location = try XCTUnwrap(start.header("Location"))
                let patch = try await client.execute(uri: location, method: .patch, headers: Auth.alice, body: ByteBuffer(string: "staged bytes"))
                XCTAssertEqual(patch.status, .accepted, patch.text)
                let staged = server.configuration.effectiveStoragePath + "/uploads/" + id
                XCTAssertTrue(FileManager.default.fileExists(atPath: staged), "the upload's part is staged")
                let deleted = try await api.delete("/api/v1/organization/acme")
                XCTAssertEqual(deleted.status, .noContent)
                try await Task.sleep(for: .milliseconds(1100))
                let removed = try await server.server.janitor.sweep()
                XCTAssertEqual(removed.orphanedStagedUploads, 1)
                XCTAssertFalse(FileManager.default.fileExists(atPath: staged), "the orphaned staged upload is gone")
            }
        }
    }

    func testPublicRepositoriesArePulledAnonymously() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let manifest = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("alice/open", tag: "v1")
                let repository = try await server.server.store.repository(namespace: "alice", name: "open")
                let open = try XCTUnwrap(repository)
                try await server.server.store.setVisibility(repositoryID: open.id, .public)

                let pulled = try await client.execute(uri: "/v2/alice/open/manifests/v1", method: .get)
                XCTAssertEqual(pulled.status, .ok)
                XCTAssertEqual(Data(pulled.body.readableBytesView), manifest)
                let push = try await client.execute(uri: "/v2/alice/open/blobs/uploads/", method: .post)
                XCTAssertEqual(push.status, .unauthorized, "public means pull, not push")

                let service = server.configuration.effectiveServerHostname
                let token = try await client.execute(uri: "/v2/auth?service=\(service)&scope=repository:alice/open:pull,push", method: .get)
                XCTAssertEqual(token.status, .ok)
                let claims = try Self.claims(of: try XCTUnwrap(token.json["token"] as? String))
                XCTAssertEqual(claims["sub"] as? String, "(anonymous)")
                XCTAssertEqual((claims["access"] as? [[String: Any]])?.first?["actions"] as? [String], ["pull"])
                let bob = try await client.execute(uri: "/v2/auth?service=\(service)", method: .get)
                XCTAssertEqual(bob.status, .unauthorized, "an anonymous token request names a scope")
            }
        }
    }

    func testSha512Digests() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let bytes = Data("sha512 content".utf8)
                let digest = Digest.of(bytes, algorithm: .sha512)
                let put = try await client.execute(uri: "/v2/alice/app/blobs/uploads/?digest=\(digest)", method: .post,
                                                   headers: Auth.alice, body: ByteBuffer(bytes: bytes))
                XCTAssertEqual(put.status, .created, put.text)
                let get = try await client.execute(uri: "/v2/alice/app/blobs/\(digest)", method: .get, headers: Auth.alice)
                XCTAssertEqual(Data(get.body.readableBytesView), bytes)
                XCTAssertEqual(get.header("Docker-Content-Digest"), digest.description)
                let wrong = Digest.of(Data("other".utf8), algorithm: .sha512)
                let mismatch = try await client.execute(uri: "/v2/alice/app/blobs/uploads/?digest=\(wrong)", method: .post,
                                                        headers: Auth.alice, body: ByteBuffer(bytes: bytes))
                XCTAssertEqual(mismatch.errorCode, "DIGEST_INVALID")
            }
        }
    }

    func testRepositoryRolesDecidePullPushAndDelete() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            let bob = try await server.user("bob")
            try await server.run { client in
                _ = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("alice/shared", tag: "v1")
                let store = server.server.store
                let found = try await store.repository(namespace: "alice", name: "shared")
                let repository = try XCTUnwrap(found)
                let bobCalls = RegistryCalls(client: client, auth: Auth.bob)

                try await store.setPermission(repositoryID: repository.id, accountID: bob.id, role: .read)
                let pull = try await client.execute(uri: "/v2/alice/shared/manifests/v1", method: .get, headers: Auth.bob)
                XCTAssertEqual(pull.status, .ok)
                let catalog = try await client.execute(uri: "/v2/_catalog", method: .get, headers: Auth.bob)
                XCTAssertEqual(catalog.json["repositories"] as? [String], ["alice/shared"])
                let readerPush = try await client.execute(uri: "/v2/alice/shared/blobs/uploads/", method: .post, headers: Auth.bob)
                XCTAssertEqual(readerPush.status, .unauthorized)
                let readerDelete = try await client.execute(uri: "/v2/alice/shared/manifests/v1", method: .delete, headers: Auth.bob)
                XCTAssertEqual(readerDelete.status, .unauthorized)

                try await store.setPermission(repositoryID: repository.id, accountID: bob.id, role: .write)
                _ = try await bobCalls.pushImage("alice/shared", tag: "from-bob", layer: "bob's layer")
                let writerDelete = try await client.execute(uri: "/v2/alice/shared/manifests/from-bob", method: .delete, headers: Auth.bob)
                XCTAssertEqual(writerDelete.status, .accepted)
            }
        }
    }

    func testDockerSchema2ManifestAndManifestList() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let calls = RegistryCalls(client: client, auth: Auth.alice)
                let config = Fixtures.blob("{\"architecture\":\"amd64\",\"os\":\"linux\"}")
                let layer = Fixtures.blob("docker layer")
                try await calls.pushBlob("alice/docker", config)
                try await calls.pushBlob("alice/docker", layer)
                let image = try JSONSerialization.data(withJSONObject: [
                    "schemaVersion": 2, "mediaType": MediaType.dockerManifest,
                    "config": ["mediaType": "application/vnd.docker.container.image.v1+json", "digest": config.digest.description,
                               "size": config.bytes.readableBytes],
                    "layers": [["mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": layer.digest.description,
                                "size": layer.bytes.readableBytes]],
                ] as [String: Any])
                let imageDigest = Digest.of(image).description
                let pushedImage = try await calls.putManifest("alice/docker", imageDigest, image, type: MediaType.dockerManifest)
                XCTAssertEqual(pushedImage.status, .created, pushedImage.text)
                let list = try JSONSerialization.data(withJSONObject: [
                    "schemaVersion": 2, "mediaType": MediaType.dockerManifestList,
                    "manifests": [["mediaType": MediaType.dockerManifest, "digest": imageDigest, "size": image.count,
                                   "platform": ["architecture": "amd64", "os": "linux"]]],
                ] as [String: Any])
                let pushedList = try await calls.putManifest("alice/docker", "latest", list, type: MediaType.dockerManifestList)
                XCTAssertEqual(pushedList.status, .created, pushedList.text)

                let asList = try await client.execute(uri: "/v2/alice/docker/manifests/latest", method: .get,
                                                      headers: Auth.alice.adding("Accept", MediaType.dockerManifestList))
                XCTAssertEqual(asList.header("Content-Type"), MediaType.dockerManifestList)
                XCTAssertEqual(Data(asList.body.readableBytesView), list)
                let oldClient = try await client.execute(uri: "/v2/alice/docker/manifests/latest", method: .get,
                                                         headers: Auth.alice.adding("Accept", MediaType.dockerManifest))
                XCTAssertEqual(oldClient.header("Docker-Content-Digest"), imageDigest, "a client without list support gets the amd64 image")
                let child = try await client.execute(uri: "/v2/alice/docker/manifests/\(imageDigest)", method: .get, headers: Auth.alice)
                XCTAssertEqual(child.status, .ok, "a list's child stays reachable by digest")
            }
        }
    }

    func testCatalogHonoursTokenScopes() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                _ = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("alice/secret", tag: "v1")
                let authenticator = server.server.authenticator
                let userOnly = try await authenticator.mintOAuthToken(for: alice, scopes: [.userRead], lifetime: 600, by: nil)
                let reader = try await authenticator.mintOAuthToken(for: alice, scopes: [.repoRead], lifetime: 600, by: nil)
                let service = server.configuration.effectiveServerHostname
                for (token, expected) in [(userOnly, [String]()), (reader, ["alice/secret"])] {
                    let basic = try await client.execute(uri: "/v2/_catalog", method: .get, headers: .basic("$oauthtoken", token))
                    XCTAssertEqual(basic.json["repositories"] as? [String], expected)
                    let issued = try await client.execute(uri: "/v2/auth?service=\(service)&scope=registry:catalog:*", method: .get,
                                                          headers: .basic("$oauthtoken", token))
                    let bearer = try XCTUnwrap(issued.json["token"] as? String)
                    let viaToken = try await client.execute(uri: "/v2/_catalog", method: .get, headers: [.authorization: "Bearer \(bearer)"])
                    XCTAssertEqual(viaToken.json["repositories"] as? [String], expected)
                }
            }
        }
    }

    static func claims(of token: String) throws -> [String: Any] { try part(token, 1) }
    static func header(of token: String) throws -> [String: Any] { try part(token, 0) }

    private static func part(_ token: String, _ index: Int) throws -> [String: Any] {
        var base64 = String(token.split(separator: ".")[index]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return try XCTUnwrap(JSONSerialization.jsonObject(with: XCTUnwrap(Data(base64Encoded: base64))) as? [String: Any])
    }
}

/// A mutable box for passing a value out of a `@Sendable` test closure.
final class UnsafeSendableBox<Value>: @unchecked Sendable {
    var value: Value?
}

/// Credentials of the test users.
enum Auth {
    static let alice = HTTPFields.basic("alice", "password1")
    static let bob = HTTPFields.basic("bob", "password1")
}
