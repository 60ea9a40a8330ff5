import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// An event in the outbox: recorded by the transaction that made the change it describes, delivered to
/// the domain's subscribers after the commit, and removed once they have it.
public struct RecordedEvent: Sendable, Equatable, Decodable {
    public let id: Int64
    /// The event's kind (the domain names them).
    public let kind: String
    /// The event's fields, as JSON.
    public let payload: String
    public let createdMs: Int64

    enum CodingKeys: String, CodingKey {
        case id, kind, payload
        case createdMs = "created_ms"
    }
}

/// The events one transaction recorded that this node claimed (delivers itself), handed to the store's
/// observer after the commit.
final class RecordedEvents: Sendable {
    private let events = NIOLockedValueBox<[RecordedEvent]>([])

    func append(_ event: RecordedEvent) { events.withLockedValue { $0.append(event) } }
    var all: [RecordedEvent] { events.withLockedValue { $0 } }
}

extension StoreTransaction {
    /// Adds events to the outbox in this transaction, a few hundred rows per statement; they are delivered
    /// after the commit, or not at all when the transaction rolls back. An event with `claimedUntilMs` is
    /// claimed by this node from the start (it delivers it itself right after the commit); the others wait
    /// for a deliverer to claim them.
    public func record(_ new: [(kind: String, payload: String, claimedUntilMs: Int64?)]) async throws {
        let now = MetadataStore.nowMs()
        for start in stride(from: 0, to: new.count, by: 200) {
            let chunk = new[start..<min(start + 200, new.count)]
            let rows = SQLList(chunk.map { SQLQueryString("(\(bind: $0.kind), \(bind: $0.payload), \(bind: now), \(bind: $0.claimedUntilMs))") })
            let ids = try await db.raw("INSERT INTO domain_event (kind, payload, created_ms, claimed_until_ms) VALUES \(rows) RETURNING id")
                .all(decoding: IDRow.self, with: decoder).map(\.id).sorted()
            for (id, event) in zip(ids, chunk) where event.claimedUntilMs != nil {
                events.append(RecordedEvent(id: id, kind: event.kind, payload: event.payload, createdMs: now))
            }
        }
    }
}

extension MetadataStore {
    /// How many events wait in the outbox, delivered or claimed or not.
    public func pendingEventCount() async throws -> Int {
        Int(try await first("SELECT COUNT(*) AS count FROM domain_event", as: PendingEventCountRow.self)?.count ?? 0)
    }

    /// Claims up to `limit` undelivered events, oldest first, for `leaseMs`: those of `kinds` (any when
    /// nil) or created before `createdBeforeMs`. Another deliverer takes them over only when the lease has
    /// run out (the one that claimed them died).
    public func claimEvents(kinds: [String]?, createdBeforeMs: Int64, limit: Int, leaseMs: Int64) async throws -> [RecordedEvent] {
        try await pool.transaction { db in
            let now = Self.nowMs()
            let which: SQLQueryString = kinds.map { "(kind IN (\(SQLList($0.map { SQLBind($0) }))) OR created_ms < \(bind: createdBeforeMs))" }
                ?? "created_ms < \(bind: createdBeforeMs)"
            return try await db.raw("""
                UPDATE domain_event SET claimed_until_ms = \(bind: now + leaseMs) WHERE id IN (
                    SELECT id FROM domain_event WHERE \(which) AND (claimed_until_ms IS NULL OR claimed_until_ms < \(bind: now))
                    ORDER BY id LIMIT \(bind: limit))
                RETURNING id, kind, payload, created_ms
                """).all(decoding: RecordedEvent.self, with: decoder).sorted { $0.id < $1.id }
        }
    }

    /// Removes delivered events from the outbox.
    public func deleteEvents(ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await pool.transaction { db in
            for start in stride(from: 0, to: ids.count, by: 500) {
                let list = SQLList(ids[start..<min(start + 500, ids.count)].map { SQLBind($0) })
                try await db.raw("DELETE FROM domain_event WHERE id IN (\(list))").run()
            }
        }
    }
}

private struct PendingEventCountRow: Decodable { let count: Int64 }
