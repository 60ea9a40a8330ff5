import Foundation
import SQLKit
import WharfMetadata
import WharfTestSupport
import XCTest

/// Pages of a long tag history read through the page anchors and the alive-rows index give exactly the
/// rows a plain sort of the whole history gives, before and after the history changes.
final class TagHistoryPageTests: XCTestCase {
    private struct Row: Decodable {
        let id: Int64
        let name: String
        let lifetime_start_ms: Int64
        let lifetime_end_ms: Int64?
        let hidden: Bool
    }

    private static let window: Int64 = 14 * 86_400

    /// Every visible row in the listing's order, computed in Swift.
    private func expected(_ store: MetadataStore, repositoryID: Int64, onlyActive: Bool) async throws -> [Int64] {
        let rows = try await store.pool.withDatabase { db in
            try await db.raw("SELECT id, name, lifetime_start_ms, lifetime_end_ms, hidden FROM tag WHERE repository_id = \(bind: repositoryID)")
                .all(decoding: Row.self)
        }
        let now = MetadataStore.nowMs()
        let horizon = now - Self.window * 1000
        return rows.filter { row in
            guard !row.hidden else { return false }
            if onlyActive { return row.lifetime_end_ms.map { $0 > now } ?? true }
            return row.lifetime_end_ms.map { $0 > horizon } ?? true
        }.sorted { lhs, rhs in
            if lhs.lifetime_start_ms != rhs.lifetime_start_ms { return lhs.lifetime_start_ms > rhs.lifetime_start_ms }
            if lhs.name != rhs.name { return lhs.name < rhs.name }
            return lhs.id > rhs.id
        }.map(\.id)
    }

    private func assertPages(_ store: MetadataStore, repositoryID: Int64, onlyActive: Bool, offsets: [Int],
                             file: StaticString = #filePath, line: UInt = #line) async throws {
        let all = try await expected(store, repositoryID: repositoryID, onlyActive: onlyActive)
        for offset in offsets {
            let page = try await store.tagHistory(repositoryID: repositoryID,
                                                  TagHistoryQuery(onlyActive: onlyActive, windowSeconds: Self.window, offset: offset, limit: 101))
            let want = Array(all.dropFirst(offset).prefix(101))
            XCTAssertEqual(page.map(\.id), want, "offset \(offset), onlyActive \(onlyActive)", file: file, line: line)
        }
    }

    func testDeepPagesMatchAPlainSortBeforeAndAfterChanges() async throws {
        try await withEachStore { store in
            let user = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let repository = try await store.createRepository(namespaceID: user.id, name: "app", visibility: .private, creatorID: user.id)
            let manifest = try await store.putManifest(NewManifest(
                repositoryId: repository.id, digest: "sha256:" + String(repeating: "a", count: 64), mediaType: "application/vnd.oci.image.manifest.v1+json",
                bytes: "{}", size: 2, configMediaType: nil, artifactType: nil, subjectDigest: nil, annotationsJson: nil, layersSize: 0,
                blobDigests: [], childDigests: []), target: .tag("seed"))
            let now = MetadataStore.nowMs()
            // 2,600 rows; three share each start time (ties are broken by name, then id); some never end, some
            // end later, some ended before the time-machine window, some are hidden.
            try await store.pool.transaction { db in
                for index in 0..<2600 {
                    let start = now - 1000 - Int64(index / 3) * 1000
                    let end: Int64? = index % 10 == 0 ? nil : index % 11 == 0 ? now + 3_600_000 : index % 13 == 0 ? now - 30 * 86_400_000 : start + 500
                    try await db.raw("""
                        INSERT INTO tag (repository_id, name, manifest_id, lifetime_start_ms, lifetime_end_ms, hidden)
                        VALUES (\(bind: repository.id), \(bind: "t\(2600 - index)"), \(bind: manifest.id), \(bind: start), \(bind: end), \(bind: index % 17 == 0 && end != nil))
                        """).run()
                }
            }
            let offsets = [0, 100, 999, 1000, 1001, 1500, 2000, 2100, 2300, 2500]
            try await assertPages(store, repositoryID: repository.id, onlyActive: false, offsets: offsets)
            try await assertPages(store, repositoryID: repository.id, onlyActive: true, offsets: [0, 100, 200, 300])
            // A change through the store moves every row after the new one: the anchors follow.
            _ = try await store.putManifest(NewManifest(
                repositoryId: repository.id, digest: "sha256:" + String(repeating: "b", count: 64), mediaType: "application/vnd.oci.image.manifest.v1+json",
                bytes: "{\"b\":1}", size: 7, configMediaType: nil, artifactType: nil, subjectDigest: nil, annotationsJson: nil, layersSize: 0,
                blobDigests: [], childDigests: []), target: .tag("seed"))
            let deleted = try await store.deleteTag(repositoryID: repository.id, name: "t2600")
            XCTAssertTrue(deleted)
            try await assertPages(store, repositoryID: repository.id, onlyActive: false, offsets: offsets)
            try await assertPages(store, repositoryID: repository.id, onlyActive: true, offsets: [0, 100, 200, 300])
        }
    }
}
