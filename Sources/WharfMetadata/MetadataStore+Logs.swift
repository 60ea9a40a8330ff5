import Foundation
import SQLKit

extension MetadataStore {
    /// Appends an entry to the audit log.
    public func record(_ entry: NewLogEntry) async throws {
        try await run("""
            INSERT INTO log_entry (kind, account_id, performer_id, repository_id, datetime_ms, ip, metadata_json)
            VALUES (\(bind: entry.kind), \(bind: entry.accountId), \(bind: entry.performerId), \(bind: entry.repositoryId),
                    \(bind: Self.nowMs()), \(bind: entry.ip), \(bind: entry.metadataJson))
            """)
    }

    /// The newest entries recorded for a namespace, newest first.
    public func logEntries(accountID: Int64, limit: Int) async throws -> [LogEntryRecord] {
        try await all("""
            SELECT id, kind, account_id, performer_id, repository_id, datetime_ms, ip, metadata_json FROM log_entry
            WHERE account_id = \(bind: accountID) ORDER BY datetime_ms DESC, id DESC LIMIT \(bind: limit)
            """, as: LogEntryRecord.self)
    }
}
