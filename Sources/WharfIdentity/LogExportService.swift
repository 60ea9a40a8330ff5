import Foundation
import WharfMetadata

/// Quay's export of the audit log: the API queues an export of a namespace's (or a repository's) entries
/// in a time window; a worker writes the JSON document and calls back. Queued exports are logged as
/// `export_logs_success`, refused ones as `export_logs_failure`.
public struct LogExportService: Sendable {
    let store: MetadataStore
    let audit: AuditLog

    public init(store: MetadataStore, audit: AuditLog) {
        self.store = store
        self.audit = audit
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
            await audit.record("export_logs_failure", namespace: namespace, by: performer, repository: repository, metadata: metadata)
            throw DomainError.invalidRequest(problem)
        }
        let export = try await store.queueLogExport(NewLogExport(
            accountId: namespace.id, repositoryId: repository?.id, startMs: startMs, endMs: endMs,
            callbackURL: callbackURL.flatMap { $0.isEmpty ? nil : $0 }, callbackEmail: callbackEmail.flatMap { $0.isEmpty ? nil : $0 }))
        metadata["export_id"] = export.uuid
        await audit.record("export_logs_success", namespace: namespace, by: performer, repository: repository, metadata: metadata)
        return export.uuid
    }
}
