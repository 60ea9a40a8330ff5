import Foundation
import WharfMetadata

/// The audit log (Quay's usage log), the first subscriber of the domain's events: each audited event
/// becomes one entry with Quay's log kind and metadata, written once however often it is delivered.
public struct AuditLog: EventSubscriber {
    let store: MetadataStore

    public init(store: MetadataStore) {
        self.store = store
    }

    public func handle(_ events: [DeliveredEvent]) async throws {
        let audited = events.filter { $0.event.kind.isAudited && !Self.isUnloggedPush($0.event) }
        guard !audited.isEmpty else { return }
        try await store.transaction { tx in
            var performers: [String: Int64?] = [:]
            var entries: [NewLogEntry] = []
            for delivered in audited {
                let event = delivered.event
                var performerID = event.performerID
                if performerID == nil, let name = event.performerName {
                    if performers[name] == nil { performers[name] = .some(try await tx.account(named: name)?.id) }
                    performerID = performers[name] ?? nil
                }
                entries.append(NewLogEntry(kind: event.kind.rawValue, accountId: event.namespaceID, performerId: performerID,
                                           repositoryId: event.repositoryID, ip: event.ip,
                                           metadataJson: Self.json(event.details, extra: event.viaOAuth ? ["oauth_token": true] : [:]),
                                           datetimeMs: event.occurredMs, eventId: delivered.id))
            }
            try await tx.record(entries)
        }
    }

    /// A manifest pushed by digest is logged only when a tag points at it (as Quay logs `push_repo`).
    static func isUnloggedPush(_ event: DomainEvent) -> Bool {
        event.kind == .pushRepository && (event.details["tag"] ?? nil) == nil
    }

    /// `metadata` (and `extra`'s non-string fields) as the JSON object the log stores.
    static func json(_ metadata: [String: String?], extra: [String: Any] = [:]) -> String {
        var fields = extra
        for (key, value) in metadata { fields[key] = value ?? NSNull() }
        return (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
