import Foundation
import Logging
import WharfMetadata
import WharfTestSupport
import XCTest

/// Pull and push counts gathered in memory and added up in the database.
final class RepositoryActivityTests: XCTestCase {
    /// The day of an instant in UTC, as Foundation's Gregorian calendar says, leap days and centuries included.
    func testDayIsTheUTCCalendarDay() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var instants: [TimeInterval] = [0, -1, 86_399, 86_400, 951_782_400, 951_868_799, 4_107_542_400, -2_208_988_800]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 { instants.append(TimeInterval(Int64.random(in: -5_000_000_000...10_000_000_000, using: &generator))) }
        for instant in instants {
            let date = Date(timeIntervalSince1970: instant)
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            let expected = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
            XCTAssertEqual(RepositoryActivity.day(date), expected, "at \(instant)")
        }
    }

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
