import Foundation
import SQLKit

/// Which audit-log entries to read: whose (a namespace, a repository, or everything), by whom, when.
public struct LogQuery: Sendable {
    public enum Scope: Sendable, Equatable {
        case namespace(Int64)
        case repository(Int64)
        case everything
    }

    public var scope: Scope
    public var performerID: Int64?
    /// Entries at or after this instant (ms since the epoch)…
    public var startMs: Int64
    /// …and before this one.
    public var endMs: Int64
    /// Kinds left out (the user log hides service-key events).
    public var excludedKinds: [String]

    public init(scope: Scope, performerID: Int64? = nil, startMs: Int64, endMs: Int64, excludedKinds: [String] = []) {
        self.scope = scope
        self.performerID = performerID
        self.startMs = startMs
        self.endMs = endMs
        self.excludedKinds = excludedKinds
    }
}

/// Where a page of log entries starts: after the entry at (`datetimeMs`, `id`), newest first.
public struct LogCursor: Sendable, Equatable {
    public let datetimeMs: Int64
    public let id: Int64

    public init(datetimeMs: Int64, id: Int64) {
        self.datetimeMs = datetimeMs
        self.id = id
    }
}

/// A log entry with the names of its performer and namespace, as the log views show them.
public struct LogEntryView: Sendable, Equatable, Decodable {
    public let entry: LogEntryRecord
    public let performerName: String?
    public let performerEmail: String?
    public let performerIsRobot: Bool?
    public let namespaceName: String?
    public let namespaceEmail: String?
    public let namespaceIsOrganization: Bool?

    enum CodingKeys: String, CodingKey {
        case performerName = "performer_name"
        case performerEmail = "performer_email"
        case performerIsRobot = "performer_is_robot"
        case namespaceName = "namespace_name"
        case namespaceEmail = "namespace_email"
        case namespaceIsOrganization = "namespace_is_organization"
    }

    public init(from decoder: any Decoder) throws {
        entry = try LogEntryRecord(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        performerName = try container.decodeIfPresent(String.self, forKey: .performerName)
        performerEmail = try container.decodeIfPresent(String.self, forKey: .performerEmail)
        performerIsRobot = try container.decodeIfPresent(Bool.self, forKey: .performerIsRobot)
        namespaceName = try container.decodeIfPresent(String.self, forKey: .namespaceName)
        namespaceEmail = try container.decodeIfPresent(String.self, forKey: .namespaceEmail)
        namespaceIsOrganization = try container.decodeIfPresent(Bool.self, forKey: .namespaceIsOrganization)
    }
}

/// How many entries of one kind a day holds.
public struct LogCount: Sendable, Equatable, Decodable {
    public let kind: String
    /// Days since the epoch (UTC).
    public let day: Int64
    public let count: Int64
}

extension MetadataReading {
    /// The newest entries recorded for a namespace, newest first.
    public func logEntries(accountID: Int64, limit: Int) async throws -> [LogEntryRecord] {
        try await all("""
            SELECT id, kind, account_id, performer_id, repository_id, datetime_ms, ip, metadata_json FROM log_entry
            WHERE account_id = \(bind: accountID) ORDER BY datetime_ms DESC, id DESC LIMIT \(bind: limit)
            """, as: LogEntryRecord.self)
    }

    /// `WHERE` conditions selecting the entries of `query`.
    fileprivate func conditions(_ query: LogQuery) -> SQLQueryString {
        var sql: SQLQueryString = "l.datetime_ms >= \(bind: query.startMs) AND l.datetime_ms < \(bind: query.endMs)"
        switch query.scope {
        case .namespace(let id): sql = sql + " AND l.account_id = \(bind: id)"
        case .repository(let id): sql = sql + " AND l.repository_id = \(bind: id)"
        case .everything: break
        }
        if let performer = query.performerID { sql = sql + " AND l.performer_id = \(bind: performer)" }
        if !query.excludedKinds.isEmpty {
            sql = sql + " AND l.kind NOT IN (\(SQLList(query.excludedKinds.map { SQLBind($0) })))"
        }
        return sql
    }

    /// A page of entries, newest first, starting after `cursor`.
    public func logPage(_ query: LogQuery, after cursor: LogCursor?, limit: Int) async throws -> [LogEntryView] {
        var filter = conditions(query)
        if let cursor {
            filter = filter + " AND (l.datetime_ms < \(bind: cursor.datetimeMs) OR (l.datetime_ms = \(bind: cursor.datetimeMs) AND l.id < \(bind: cursor.id)))"
        }
        return try await all("""
            SELECT l.id, l.kind, l.account_id, l.performer_id, l.repository_id, l.datetime_ms, l.ip, l.metadata_json,
                   p.username AS performer_name, p.email AS performer_email, p.is_robot AS performer_is_robot,
                   a.username AS namespace_name, a.email AS namespace_email, a.is_organization AS namespace_is_organization
            FROM log_entry l LEFT JOIN account p ON p.id = l.performer_id LEFT JOIN account a ON a.id = l.account_id
            WHERE \(filter) ORDER BY l.datetime_ms DESC, l.id DESC LIMIT \(bind: limit)
            """, as: LogEntryView.self)
    }

    /// Entries per kind and UTC day.
    public func logCounts(_ query: LogQuery) async throws -> [LogCount] {
        try await all("""
            SELECT l.kind, l.datetime_ms / 86400000 AS day, COUNT(*) AS count FROM log_entry l
            WHERE \(conditions(query)) GROUP BY l.kind, l.datetime_ms / 86400000 ORDER BY day, l.kind
            """, as: LogCount.self)
    }
}

extension StoreTransaction {
    /// Appends entries to the audit log; an entry of an event already logged is skipped.
    public func record(_ entries: [NewLogEntry]) async throws {
        let now = MetadataStore.nowMs()
        for start in stride(from: 0, to: entries.count, by: 100) {
            let rows = SQLList(entries[start..<min(start + 100, entries.count)].map { entry in
                SQLQueryString("""
                    (\(bind: entry.kind), \(bind: entry.accountId), \(bind: entry.performerId), \(bind: entry.repositoryId),
                     \(bind: entry.datetimeMs ?? now), \(bind: entry.ip), \(bind: entry.metadataJson), \(bind: entry.eventId))
                    """)
            })
            try await db.raw("""
                INSERT INTO log_entry (kind, account_id, performer_id, repository_id, datetime_ms, ip, metadata_json, event_id)
                VALUES \(rows) ON CONFLICT DO NOTHING
                """).run()
        }
    }
}
