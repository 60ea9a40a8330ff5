import Foundation
import SQLKit

/// A queued, running or finished export of audit-log entries.
public struct LogExportRecord: Sendable, Equatable, Decodable {
    public let id: Int64
    public let uuid: String
    /// The secret half of the file's name (`<uuid>-<file_key>`), so that the URL cannot be guessed.
    public let fileKey: String
    public let accountId: Int64
    public let repositoryId: Int64?
    public let startMs: Int64
    public let endMs: Int64
    public let callbackURL: String?
    public let callbackEmail: String?
    /// `queued`, `running`, `success` or `failed`.
    public let status: String
    public let claimedMs: Int64?
    public let createdMs: Int64

    enum CodingKeys: String, CodingKey {
        case id, uuid, status
        case fileKey = "file_key"
        case accountId = "account_id"
        case repositoryId = "repository_id"
        case startMs = "start_ms"
        case endMs = "end_ms"
        case callbackURL = "callback_url"
        case callbackEmail = "callback_email"
        case claimedMs = "claimed_ms"
        case createdMs = "created_ms"
    }

    /// The file's name in `/exportedlogs/<name>`.
    public var fileName: String { "\(uuid)-\(fileKey)" }
}

/// An export to queue.
public struct NewLogExport: Sendable {
    public let accountId: Int64
    public let repositoryId: Int64?
    public let startMs: Int64
    public let endMs: Int64
    public let callbackURL: String?
    public let callbackEmail: String?

    public init(accountId: Int64, repositoryId: Int64?, startMs: Int64, endMs: Int64, callbackURL: String?, callbackEmail: String?) {
        self.accountId = accountId
        self.repositoryId = repositoryId
        self.startMs = startMs
        self.endMs = endMs
        self.callbackURL = callbackURL
        self.callbackEmail = callbackEmail
    }
}

extension MetadataStore {
    fileprivate static let logExportColumns: SQLQueryString = """
        id, uuid, file_key, account_id, repository_id, start_ms, end_ms, callback_url, callback_email, status, claimed_ms, created_ms
        """
}

extension MetadataReading {
    /// The document of a finished export, by its file name (`<uuid>-<file_key>`).
    public func exportedLogs(fileName: String) async throws -> String? {
        guard fileName.count > 37 else { return nil }
        let uuid = String(fileName.prefix(36))
        let key = String(fileName.dropFirst(37))
        return try await first("""
            SELECT content FROM log_export WHERE uuid = \(bind: uuid) AND file_key = \(bind: key) AND status = 'success'
            """, as: ExportedLogsRow.self)?.content
    }

    /// The export `uuid`, whatever its state.
    public func logExport(uuid: String) async throws -> LogExportRecord? {
        try await first("SELECT \(MetadataStore.logExportColumns) FROM log_export WHERE uuid = \(bind: uuid)", as: LogExportRecord.self)
    }
}

extension StoreTransaction {
    /// Queues an export; any node's export worker picks it up.
    public func queueLogExport(_ export: NewLogExport) async throws -> LogExportRecord {
        let uuid = UUID().uuidString.lowercased()
        let key = UUID().uuidString.lowercased()
        try await run("""
            INSERT INTO log_export (uuid, file_key, account_id, repository_id, start_ms, end_ms, callback_url, callback_email, status, created_ms)
            VALUES (\(bind: uuid), \(bind: key), \(bind: export.accountId), \(bind: export.repositoryId), \(bind: export.startMs),
                    \(bind: export.endMs), \(bind: export.callbackURL), \(bind: export.callbackEmail), 'queued', \(bind: MetadataStore.nowMs()))
            """)
        guard let record = try await first("SELECT \(MetadataStore.logExportColumns) FROM log_export WHERE uuid = \(bind: uuid)", as: LogExportRecord.self) else {
            throw MetadataError.notFound("log export \(uuid)")
        }
        return record
    }

    /// Records an export's outcome and, when it succeeded, the exported document.
    public func finishLogExport(id: Int64, status: String, content: String?) async throws {
        try await run("UPDATE log_export SET status = \(bind: status), content = \(bind: content) WHERE id = \(bind: id)")
    }

    /// Takes the oldest queued export (or one whose worker went silent for `staleAfterMs`) for this node;
    /// nil when there is none. Two nodes never take the same export.
    public func claimLogExport(staleAfterMs: Int64) async throws -> LogExportRecord? {
        let now = MetadataStore.nowMs()
        let claimable: SQLQueryString = "(status = 'queued' OR (status = 'running' AND claimed_ms < \(bind: now - staleAfterMs)))"
        guard let candidate = try await first("""
            SELECT \(MetadataStore.logExportColumns) FROM log_export WHERE \(claimable) ORDER BY created_ms, id LIMIT 1
            """, as: LogExportRecord.self) else { return nil }
        let claimed = try await pool.withDatabase { db in
            try await db.raw("""
                UPDATE log_export SET status = 'running', claimed_ms = \(bind: now)
                WHERE id = \(bind: candidate.id) AND \(claimable) RETURNING id
                """).first()
        }
        return claimed == nil ? nil : candidate
    }
}

private struct ExportedLogsRow: Decodable { let content: String? }
