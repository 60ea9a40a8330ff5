import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfMetadata
import WharfTestSupport
import WharfOCI
import XCTest

/// Completing an upload is idempotent: a completion cut off at any point (a crash, a lost connection) is
/// finished by the client's retry with the same digest, and a session whose bytes are gone answers 404.
final class UploadCompletionTests: XCTestCase {
    /// Starts an upload of `alice/app` holding `bytes`; its location and id.
    private static func stagedUpload(_ client: any TestClientProtocol, _ bytes: String) async throws -> (location: String, id: String) {
        let start = try await client.execute(uri: "/v2/alice/app/blobs/uploads/", method: .post, headers: Auth.alice)
        let location = try XCTUnwrap(start.header("Location"))
        let patch = try await client.execute(uri: location, method: .patch, headers: Auth.alice, body: ByteBuffer(string: bytes))
        XCTAssertEqual(patch.status, .accepted, patch.text)
        return (location, try XCTUnwrap(start.header("Docker-Upload-UUID")))
    }

    func testCompletionsCutOffAreFinishedByTheRetry() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("alice")
            try await server.run { client in
                let store = server.server.store, blobs = server.server.blobs

                // Cut off after the bytes were moved into place, before the session ended.
                let moved = Fixtures.blob("moved into place")
                let first = try await Self.stagedUpload(client, "moved into place")
                let movedMarked = try await store.markUploadCommitted(uuid: first.id, byteCount: 16, digest: moved.digest.description)
                XCTAssertTrue(movedMarked)
                try await blobs.commitUpload(parts: try await store.uploadParts(uuid: first.id), as: moved.digest, size: 16)
                let status = try await client.execute(uri: first.location, method: .get, headers: Auth.alice)
                XCTAssertEqual(status.header("Range"), "0-15")
                let retried = try await client.execute(uri: first.location + "?digest=\(moved.digest)", method: .put, headers: Auth.alice)
                XCTAssertEqual(retried.status, .created, retried.text)
                let pulled = try await client.execute(uri: "/v2/alice/app/blobs/\(moved.digest)", method: .get, headers: Auth.alice)
                XCTAssertEqual(pulled.text, "moved into place")
                let gone = try await client.execute(uri: first.location, method: .get, headers: Auth.alice)
                XCTAssertEqual(gone.errorCode, "BLOB_UPLOAD_UNKNOWN")

                // Cut off after the digest was recorded, before the move: the staged bytes are checked again.
                let verified = Fixtures.blob("verified only")
                let second = try await Self.stagedUpload(client, "verified only")
                let verifiedMarked = try await store.markUploadCommitted(uuid: second.id, byteCount: 13, digest: verified.digest.description)
                XCTAssertTrue(verifiedMarked)
                let finished = try await client.execute(uri: second.location + "?digest=\(verified.digest)", method: .put, headers: Auth.alice)
                XCTAssertEqual(finished.status, .created, finished.text)

                // A retry naming another digest than the one verified is a mismatch, and ends the session.
                let third = try await Self.stagedUpload(client, "third blob")
                let thirdDigest = Digest.of(Data("third blob".utf8))
                let thirdMarked = try await store.markUploadCommitted(uuid: third.id, byteCount: 10, digest: thirdDigest.description)
                XCTAssertTrue(thirdMarked)
                try await blobs.commitUpload(parts: try await store.uploadParts(uuid: third.id), as: thirdDigest, size: 10)
                let wrong = try await client.execute(uri: third.location + "?digest=\(moved.digest)", method: .put, headers: Auth.alice)
                XCTAssertEqual(wrong.errorCode, "DIGEST_INVALID")
                let ended = try await client.execute(uri: third.location, method: .get, headers: Auth.alice)
                XCTAssertEqual(ended.errorCode, "BLOB_UPLOAD_UNKNOWN")

                // A session whose staged bytes are gone: 404, and the session ends.
                let lost = try await Self.stagedUpload(client, "lost bytes")
                try await blobs.deleteUpload(id: lost.id)
                let lostDigest = Digest.of(Data("lost bytes".utf8))
                let answer = try await client.execute(uri: lost.location + "?digest=\(lostDigest)", method: .put, headers: Auth.alice)
                XCTAssertEqual(answer.status, .notFound, answer.text)
                XCTAssertEqual(answer.errorCode, "BLOB_UPLOAD_UNKNOWN")
                let after = try await client.execute(uri: lost.location, method: .get, headers: Auth.alice)
                XCTAssertEqual(after.errorCode, "BLOB_UPLOAD_UNKNOWN")
            }
        }
    }
}
