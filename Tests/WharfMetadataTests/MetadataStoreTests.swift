import Foundation
import Logging
import WharfMetadata
import WharfTestSupport
import XCTest

/// The metadata store on SQLite and, when `WHARF_TEST_POSTGRES_URI` is set, on PostgreSQL.
final class MetadataStoreTests: XCTestCase {
    func manifest(_ repository: Int64, _ name: String, blobs: [String] = []) -> NewManifest {
        NewManifest(repositoryId: repository, digest: "sha256:" + String(repeating: name, count: 64).prefix(64), mediaType: "application/vnd.oci.image.manifest.v1+json",
                    bytes: "{\"n\":\"\(name)\"}", size: 10, configMediaType: nil, artifactType: nil, subjectDigest: nil,
                    annotationsJson: nil, layersSize: 0, blobDigests: blobs, childDigests: [])
    }

    func testMigrationIsIdempotentAndAccountsAreUnique() async throws {
        try await withEachStore { store in
            let user = try await store.createUser(username: "alice", email: "a@example.com", passwordHash: "x")
            XCTAssertEqual(user.username, "alice")
            XCTAssertFalse(user.isOrganization)
            XCTAssertEqual(user.removedTagExpirationS, 1_209_600)
            do {
                _ = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
                XCTFail("a second alice was created")
            } catch MetadataError.conflict {}
            let count = try await store.userCount()
            XCTAssertEqual(count, 1)
        }
    }

    func testTagHistoryIsKept() async throws {
        try await withEachStore { store in
            let user = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let repository = try await store.createRepository(namespaceID: user.id, name: "app", visibility: .private, creatorID: user.id)
            let role = try await store.explicitRole(accountID: user.id, repositoryID: repository.id)
            XCTAssertEqual(role, .admin, "the creator administers the repository")
            let first = try await store.putManifest(manifest(repository.id, "a"), target: .tag("v1"))
            let second = try await store.putManifest(manifest(repository.id, "b"), target: .tag("v1"))
            let current = try await store.repositoryAndTaggedManifest(namespace: "alice", name: "app", tag: "v1")?.1
            XCTAssertEqual(current?.id, second.id)
            XCTAssertNotEqual(first.id, second.id)
            let deleted = try await store.deleteTag(repositoryID: repository.id, name: "v1")
            XCTAssertTrue(deleted)
            let afterDelete = try await store.repositoryAndTaggedManifest(namespace: "alice", name: "app", tag: "v1")
            XCTAssertNotNil(afterDelete, "the repository is still there")
            XCTAssertNil(afterDelete?.1)
            let history = try await store.tagHasHistory(repositoryID: repository.id, tag: "v1")
            XCTAssertTrue(history)
            let names = try await store.tagNames(repositoryID: repository.id, after: nil, limit: 10)
            XCTAssertEqual(names, [])
        }
    }

    func testMissingBlobsAreReportedAndNothingIsStored() async throws {
        try await withEachStore { store in
            let user = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let repository = try await store.createRepository(namespaceID: user.id, name: "app", visibility: .private, creatorID: user.id)
            let digest = "sha256:" + String(repeating: "c", count: 64)
            do {
                _ = try await store.putManifest(manifest(repository.id, "a", blobs: [digest]), target: .tag("v1"))
                XCTFail("stored a manifest with a missing blob")
            } catch ManifestStoreError.missingBlobs(let missing) {
                XCTAssertEqual(missing, [digest])
            }
            try await store.linkUploadedBlob(repositoryID: repository.id, digest: digest, size: 3, expiresMs: MetadataStore.nowMs() + 60_000)
            let stored = try await store.putManifest(manifest(repository.id, "a", blobs: [digest]), target: .tag("v1"))
            XCTAssertEqual(stored.size, 10)
            let linked = try await store.linkedBlob(repositoryID: repository.id, digest: digest)
            XCTAssertEqual(linked?.size, 3)
        }
    }

    /// A blob an upload links for a while stays once a manifest refers to it, also when the manifest was
    /// stored before (a blob deleted from the repository and uploaded again).
    func testAManifestPushKeepsItsBlobsLinkedForGood() async throws {
        try await withEachStore { store in
            let user = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let repository = try await store.createRepository(namespaceID: user.id, name: "app", visibility: .private, creatorID: user.id)
            let digests = ["d", "e"].map { "sha256:" + String(repeating: $0, count: 64) }
            let soon = MetadataStore.nowMs() + 300
            for digest in digests { try await store.linkUploadedBlob(repositoryID: repository.id, digest: digest, size: 3, expiresMs: soon) }
            _ = try await store.putManifest(manifest(repository.id, "a", blobs: digests), target: .tag("v1"))
            _ = try await store.transaction { tx in try await tx.unlinkBlob(repositoryID: repository.id, digest: digests[1]) }
            try await store.linkUploadedBlob(repositoryID: repository.id, digest: digests[1], size: 3, expiresMs: soon)
            _ = try await store.putManifest(manifest(repository.id, "a", blobs: digests), target: .tag("v2"))
            try await Task.sleep(for: .milliseconds(400))
            for digest in digests {
                let linked = try await store.linkedBlob(repositoryID: repository.id, digest: digest)
                XCTAssertNotNil(linked, "\(digest) is still linked after the upload's link would have expired")
            }
        }
    }

    func testConcurrentWritesAllSucceed() async throws {
        try await withEachStore { store in
            let user = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let repository = try await store.createRepository(namespaceID: user.id, name: "app", visibility: .private, creatorID: user.id)
            let base = manifest(repository.id, "a")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        _ = try await store.putManifest(base, target: .tag("t\(index)"))
                        _ = try await store.createRepository(namespaceID: user.id, name: "repo\(index)", visibility: .private, creatorID: user.id)
                    }
                }
                try await group.waitForAll()
            }
            let tags = try await store.tagNames(repositoryID: repository.id, after: nil, limit: 100)
            XCTAssertEqual(tags.count, 64)
            let catalog = try await store.catalog(accountID: user.id, afterID: 0, limit: 100)
            XCTAssertEqual(catalog.count, 65)
        }
    }

    func testLookupCacheSeesLocalWritesAtOnceAndOtherNodesAfterItsLifetime() async throws {
        let path = NSTemporaryDirectory() + "wharf-cache-\(UUID().uuidString).db"
        let nodeA = try await MetadataStore.open(uri: nil, defaultSQLitePath: path, lookupCacheTTL: 0.5, logger: Logger(label: "a"))
        let nodeB = try await MetadataStore.open(uri: nil, defaultSQLitePath: path, lookupCacheTTL: 0.5, logger: Logger(label: "b"))
        let user = try await nodeA.createUser(username: "alice", email: nil, passwordHash: nil)
        let repository = try await nodeA.createRepository(namespaceID: user.id, name: "app", visibility: .private, creatorID: user.id)
        let first = try await nodeA.putManifest(manifest(repository.id, "a"), target: .tag("v1"))
        let seen = try await nodeA.repositoryAndTaggedManifest(namespace: "alice", name: "app", tag: "v1")
        XCTAssertEqual(seen?.1?.id, first.id)

        let second = try await nodeA.putManifest(manifest(repository.id, "b"), target: .tag("v1"))
        let afterLocalWrite = try await nodeA.repositoryAndTaggedManifest(namespace: "alice", name: "app", tag: "v1")
        XCTAssertEqual(afterLocalWrite?.1?.id, second.id, "a node reads its own writes at once")

        let third = try await nodeB.putManifest(manifest(repository.id, "c"), target: .tag("v1"))
        try await Task.sleep(for: .milliseconds(600))
        let afterLifetime = try await nodeA.repositoryAndTaggedManifest(namespace: "alice", name: "app", tag: "v1")
        XCTAssertEqual(afterLifetime?.1?.id, third.id, "another node's write shows once the cache entry has expired")
        try await nodeA.shutdown()
        try await nodeB.shutdown()
    }
}
