import Foundation
import WharfMetadata

/// Quay's export of the audit log: the API queues an export of a namespace's (or a repository's) entries
/// in a time window; a worker writes the JSON document and calls back. Queued exports are logged as
/// `export_logs_success`, refused ones as `export_logs_failure`.
public struct LogExportService: Sendable {
    let store: MetadataStore

    public init(store: MetadataStore) {
        self.store = store
    }

    /// Queues the export of `namespace`'s entries (only `repository`'s, when given) from `startMs` to
    /// `endMs`; the export's id. The callback URL must be http(s) and the e-mail address must have an `@`.
    public func queue(namespace: AccountRecord, repository: RepositoryRecord?, startMs: Int64, endMs: Int64,
                      callbackURL: String?, callbackEmail: String?, by performer: Performer) async throws -> String {
        var metadata: [String: String?] = [:]
        if let callbackURL, !callbackURL.isEmpty { metadata["url"] = callbackURL }
        if let callbackEmail, !callbackEmail.isEmpty { metadata["email"] = callbackEmail }
        if let repository { metadata["repo"] = repository.name }
        let problem: String? = if let callbackURL, !callbackURL.isEmpty, !(callbackURL.hasPrefix("https://") || callbackURL.hasPrefix("http://")) {
            "Invalid callback URL"
        } else if let callbackEmail, !callbackEmail.isEmpty, !callbackEmail.contains("@") {
            "Invalid callback e-mail"
        } else {
            nil
        }
        if let problem {
            metadata["error"] = problem
            try await store.transaction { tx in
                try await tx.emit(.exportLogsFailure, namespace: namespace, by: performer, repository: repository, details: metadata)
            }
            throw DomainError.invalidRequest(problem)
        }
        return try await store.transaction { tx in
            let export = try await tx.queueLogExport(NewLogExport(
                accountId: namespace.id, repositoryId: repository?.id, startMs: startMs, endMs: endMs,
                callbackURL: callbackURL.flatMap { $0.isEmpty ? nil : $0 }, callbackEmail: callbackEmail.flatMap { $0.isEmpty ? nil : $0 }))
            metadata["export_id"] = export.uuid
            try await tx.emit(.exportLogsSuccess, namespace: namespace, by: performer, repository: repository, details: metadata)
            return export.uuid
        }
    }

    /// Takes the oldest queued export (or one whose worker went silent for `staleAfterMs`) for this node;
    /// nil when there is none. Two nodes never take the same export.
    public func claimNext(staleAfterMs: Int64) async throws -> LogExportRecord? {
        try await store.transaction { tx in try await tx.claimLogExport(staleAfterMs: staleAfterMs) }
    }

    /// Records an export's outcome (`success` with its document, or `failed`).
    public func finish(_ export: LogExportRecord, status: String, document: String?) async throws {
        try await store.transaction { tx in try await tx.finishLogExport(id: export.id, status: status, content: document) }
    }
}
