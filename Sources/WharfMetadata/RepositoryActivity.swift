import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// Counts pulls and pushes per repository and day, in memory, so that the hot path never writes; the
/// server flushes the counts into `repository_action_count` every few seconds (and at shutdown), where
/// every node's counts add up. Counts not yet flushed when a node dies are lost (seconds' worth).
public final class RepositoryActivity: Sendable {
    struct Key: Hashable {
        let repositoryID: Int64
        let day: String
    }

    private let pending = NIOLockedValueBox([Key: Int64]())

    public init() {}

    /// Counts one pull or push of a repository today (UTC).
    public func record(repositoryID: Int64, at date: Date = Date()) {
        let key = Key(repositoryID: repositoryID, day: Self.day(date))
        pending.withLockedValue { $0[key, default: 0] += 1 }
    }

    /// Writes the counts gathered so far; on failure they are kept for the next flush.
    public func flush(into store: MetadataStore) async throws {
        let counts = pending.withLockedValue { counts in
            defer { counts.removeAll() }
            return counts
        }
        guard !counts.isEmpty else { return }
        do {
            try await store.transaction { tx in try await tx.addActionCounts(counts.map { ($0.key.repositoryID, $0.key.day, $0.value) }) }
        } catch {
            pending.withLockedValue { for (key, count) in counts { $0[key, default: 0] += count } }
            throw error
        }
    }

    /// `YYYY-MM-DD` in UTC, computed from the days since 1970 (every pull and push asks, so no Calendar).
    public static func day(_ date: Date) -> String {
        let days = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
        // The proleptic Gregorian calendar in 400-year eras, counted from 0000-03-01.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }
}

extension MetadataReading {
    /// A repository's counts per day from `firstDay` (inclusive), as `day → count`.
    public func actionCounts(repositoryID: Int64, from firstDay: String) async throws -> [String: Int64] {
        let rows = try await all("""
            SELECT day, count FROM repository_action_count WHERE repository_id = \(bind: repositoryID) AND day >= \(bind: firstDay)
            """, as: ActionCountsRow.self)
        return Dictionary(rows.map { ($0.day, $0.count) }, uniquingKeysWith: +)
    }
}

extension StoreTransaction {
    /// Adds counts to repositories' days (repositories deleted meanwhile are skipped).
    func addActionCounts(_ counts: [(repositoryID: Int64, day: String, count: Int64)]) async throws {
        try await pool.transaction { db in
            for entry in counts {
                try await db.raw("""
                    INSERT INTO repository_action_count (repository_id, day, count)
                    SELECT \(bind: entry.repositoryID), \(bind: entry.day), \(bind: entry.count)
                    WHERE EXISTS (SELECT 1 FROM repository WHERE id = \(bind: entry.repositoryID))
                    ON CONFLICT (repository_id, day) DO UPDATE SET count = repository_action_count.count + excluded.count
                    """).run()
            }
        }
    }
}

private struct ActionCountsRow: Decodable { let day: String; let count: Int64 }
