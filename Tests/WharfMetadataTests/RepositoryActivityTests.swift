import Foundation
import Logging
import WharfMetadata
import WharfTestSupport
import XCTest

/// Pull and push counts gathered in memory and added up in the database.
final class RepositoryActivityTests: XCTestCase {
    func testFlushesAddUpPerDayAndSkipDeletedRepositories() async throws {
        try await withEachStore { store in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let kept = try await store.createRepository(namespaceID: alice.id, name: "kept", visibility: .private, creatorID: alice.id)
            let gone = try await store.createRepository(namespaceID: alice.id, name: "gone", visibility: .private, creatorID: alice.id)
            let activity = RepositoryActivity()
            let today = Date()
            let yesterday = today.addingTimeInterval(-86_400)
            activity.record(repositoryID: kept.id, at: today)
            activity.record(repositoryID: kept.id, at: today)
            activity.record(repositoryID: kept.id, at: yesterday)
            activity.record(repositoryID: gone.id, at: today)
            try await store.deleteRepository(id: gone.id)
            try await activity.flush(into: store)
            activity.record(repositoryID: kept.id, at: today)
            try await activity.flush(into: store)
            try await activity.flush(into: store)

            let counts = try await store.actionCounts(repositoryID: kept.id, from: RepositoryActivity.day(yesterday))
            XCTAssertEqual(counts[RepositoryActivity.day(today)], 3)
            XCTAssertEqual(counts[RepositoryActivity.day(yesterday)], 1)
            let goneCounts = try await store.actionCounts(repositoryID: gone.id, from: "0000-00-00")
            XCTAssertTrue(goneCounts.isEmpty)
            XCTAssertEqual(RepositoryActivity.day(Date(timeIntervalSince1970: 0)), "1970-01-01")
        }
    }
}
