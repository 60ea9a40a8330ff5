import Foundation
import Logging
import NIOConcurrencyHelpers
import WharfMetadata

/// The caller of a domain operation as the audit log records it: who and from which address.
public struct Performer: Sendable {
    public let identity: Identity
    public let ip: String?

    public init(identity: Identity, ip: String?) {
        self.identity = identity
        self.ip = ip
    }

    public var account: AccountRecord? { identity.account }
}

/// Records actions in the audit log with Quay's log kind names (`org_create`, `create_robot`, …).
///
/// A failure to write the log is reported but does not undo the action it describes. Pulls and pushes
/// are recorded with `recordSoon`: they wait in memory and are written in batches (by the server's
/// activity flusher), so that the pull path does not write to the database.
public struct AuditLog: Sendable {
    let store: MetadataStore
    let logger: Logger
    private let pending = NIOLockedValueBox<[BufferedEntry]>([])

    /// Entries kept in memory at most; beyond this, new ones are dropped (and the drop is reported).
    static let bufferLimit = 100_000

    /// An entry waiting to be written; its performer is known by id or, for registry tokens, by name.
    struct BufferedEntry {
        let entry: NewLogEntry
        let performerName: String?
    }

    public init(store: MetadataStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Queues `kind` for the repository's log, by the account `performer` (or the account named
    /// `performerName`, resolved when written), for the next `flush`.
    public func recordSoon(_ kind: String, repository: RepositoryRecord, performer: AccountRecord?, performerName: String? = nil,
                           ip: String?, metadata: [String: String?]) {
        let entry = NewLogEntry(kind: kind, accountId: repository.namespaceId, performerId: performer?.id, repositoryId: repository.id,
                                ip: ip, metadataJson: Self.json(metadata), datetimeMs: MetadataStore.nowMs())
        let accepted = pending.withLockedValue { pending in
            guard pending.count < Self.bufferLimit else { return false }
            pending.append(BufferedEntry(entry: entry, performerName: performer == nil ? performerName : nil))
            return true
        }
        if !accepted { logger.error("audit log buffer is full; dropping an entry", metadata: ["kind": "\(kind)"]) }
    }

    /// Writes the queued entries; on failure they stay queued for the next attempt.
    public func flush() async throws {
        let entries = pending.withLockedValue { pending in
            defer { pending.removeAll() }
            return pending
        }
        guard !entries.isEmpty else { return }
        do {
            var ids: [String: Int64?] = [:]
            var resolved: [NewLogEntry] = []
            for buffered in entries {
                var entry = buffered.entry
                if let name = buffered.performerName {
                    if ids[name] == nil { ids[name] = .some(try await store.account(named: name)?.id) }
                    entry = entry.performed(by: ids[name] ?? nil)
                }
                resolved.append(entry)
            }
            try await store.record(resolved)
        } catch {
            pending.withLockedValue { $0.insert(contentsOf: entries, at: 0) }
            throw error
        }
    }

    /// `metadata` (and `extra`'s non-string fields) as the JSON object the log stores.
    static func json(_ metadata: [String: String?], extra: [String: Any] = [:]) -> String {
        var fields = extra
        for (key, value) in metadata { fields[key] = value ?? NSNull() }
        return (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Records `kind` in `namespace`'s log (and the repository's, when given).
    public func record(_ kind: String, namespace: AccountRecord?, by performer: Performer?, repository: RepositoryRecord? = nil,
                       metadata: [String: String?] = [:]) async {
        let viaOAuth = performer?.identity.kind == .oauthToken
        let json = Self.json(metadata, extra: viaOAuth ? ["oauth_token": true] : [:])
        let entry = NewLogEntry(kind: kind, accountId: namespace?.id ?? repository?.namespaceId, performerId: performer?.account?.id,
                                repositoryId: repository?.id, ip: performer?.ip, metadataJson: json)
        do {
            try await store.record(entry)
        } catch {
            logger.error("could not write the audit log", metadata: ["kind": "\(kind)", "error": "\(error)"])
        }
    }
}
