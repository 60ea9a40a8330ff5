import Foundation
import Logging
import NIOConcurrencyHelpers
import WharfFaults
import WharfMetadata

/// Hears of delivered events. Delivery is at least once: a subscriber that writes keys what it writes by
/// the event's outbox id, so that an event delivered twice (its first deliverer died) counts once.
public protocol EventSubscriber: Sendable {
    func handle(_ events: [DeliveredEvent]) async throws
}

/// An event from the outbox, with its id there.
public struct DeliveredEvent: Sendable {
    public let id: Int64
    public let event: DomainEvent

    public init(id: Int64, event: DomainEvent) {
        self.id = id
        self.event = event
    }
}

/// Delivers the outbox's events to the subscribers after their transaction commits: at once, before the
/// operation answers, for the kinds that ask for it (`Kind.isDeliveredAtOnce`; the node that recorded
/// them holds their claim from the start); the others in batches by the server's `EventDeliverer`.
/// Delivered events leave the outbox in batches too. Events whose deliverer died before removing them
/// are taken over once their claim runs out (and delivered again: subscribers count each id once).
public final class EventBus: Sendable {
    let store: MetadataStore
    let logger: Logger
    private let subscribers = NIOLockedValueBox<[any EventSubscriber]>([])
    /// Pulls waiting in memory to be written to the outbox (the pull path writes nothing itself).
    private let queue = NIOLockedValueBox(PullQueue())
    /// Events delivered at once, to be removed from the outbox with the next batch.
    private let delivered = NIOLockedValueBox<[Int64]>([])

    /// How long a deliverer holds the events it claimed before another may take them over.
    let leaseMs: Int64
    /// How long the node that records an event delivered at once holds it.
    public static let atOnceLeaseMs: Int64 = 60_000
    /// Events buffered in memory at most; beyond, new ones are dropped (reported once per episode).
    let bufferLimit: Int
    /// The kinds delivered in batches.
    static let batchedKinds = DomainEvent.Kind.allCases.filter { !$0.isDeliveredAtOnce }.map(\.rawValue)

    public init(store: MetadataStore, logger: Logger, leaseMs: Int64 = 60_000, bufferLimit: Int = 100_000) {
        self.store = store
        self.logger = logger
        self.leaseMs = leaseMs
        self.bufferLimit = bufferLimit
        store.observeEvents { [weak self] events in await self?.committed(events) }
    }

    public func subscribe(_ subscriber: any EventSubscriber) {
        subscribers.withLockedValue { $0.append(subscriber) }
    }

    /// Queues an event to be written to the outbox with the next `flush` (pulls, which must not write on
    /// their own path).
    public func recordSoon(_ event: DomainEvent) {
        let firstDrop = queue.withLockedValue { queue -> Bool in
            guard queue.events.count >= bufferLimit else {
                queue.events.append(event)
                return false
            }
            queue.dropped += 1
            return queue.dropped == 1
        }
        if firstDrop { logger.error("event buffer is full; dropping events until it is written out", metadata: ["limit": "\(bufferLimit)"]) }
    }

    /// Writes the queued events to the outbox in one transaction; on failure they stay queued.
    public func flush() async throws {
        let (events, dropped) = queue.withLockedValue { queue in
            defer { queue = PullQueue() }
            return (queue.events, queue.dropped)
        }
        guard !events.isEmpty else { return }
        do {
            try await store.transaction { tx in try await tx.emit(events) }
        } catch {
            queue.withLockedValue { queue in
                queue.events.insert(contentsOf: events, at: 0)
                queue.dropped += dropped
            }
            throw error
        }
        if dropped > 0 { logger.notice("event buffer written out", metadata: ["dropped": "\(dropped)"]) }
    }

    /// After a commit: delivers the transaction's events that are delivered at once (this node claimed
    /// them when it recorded them; the others wait for the deliverer). Undelivered ones (an outage) are
    /// taken up again when their claim runs out.
    func committed(_ atOnce: [RecordedEvent]) async {
        do {
            try await handOver(atOnce)
            delivered.withLockedValue { $0.append(contentsOf: atOnce.map(\.id)) }
        } catch {
            if !(error is ServiceFault) { logger.error("could not deliver events", metadata: ["error": "\(error)"]) }
        }
    }

    /// Delivers the events waiting in the outbox: the batched ones, and any left behind for `stragglerMs`
    /// (a deliverer that died, an outage). Returns how many were delivered.
    @discardableResult
    public func deliverPending(stragglerMs: Int64 = 5_000) async throws -> Int {
        try await removeDelivered()
        var delivered = 0
        while true {
            let records = try await store.claimEvents(kinds: Self.batchedKinds, createdBeforeMs: MetadataStore.nowMs() - stragglerMs,
                                                      limit: 500, leaseMs: leaseMs)
            guard !records.isEmpty else { return delivered }
            try await deliver(records)
            delivered += records.count
        }
    }

    /// Removes the events delivered at once from the outbox; on failure they are kept for the next time.
    private func removeDelivered() async throws {
        let ids = delivered.withLockedValue { ids in
            defer { ids.removeAll() }
            return ids
        }
        do {
            try await store.deleteEvents(ids: ids)
        } catch {
            delivered.withLockedValue { $0.append(contentsOf: ids) }
            throw error
        }
    }

    /// Hands events to every subscriber, then removes them from the outbox.
    private func deliver(_ records: [RecordedEvent]) async throws {
        try await handOver(records)
        try await store.deleteEvents(ids: records.map(\.id))
    }

    /// Hands events to every subscriber.
    private func handOver(_ records: [RecordedEvent]) async throws {
        guard !records.isEmpty else { return }
        let decoder = JSONDecoder()
        let events = records.compactMap { record -> DeliveredEvent? in
            guard let event = try? decoder.decode(DomainEvent.self, from: Data(record.payload.utf8)) else {
                logger.error("dropping an event that cannot be read", metadata: ["id": "\(record.id)", "kind": "\(record.kind)"])
                return nil
            }
            return DeliveredEvent(id: record.id, event: event)
        }
        for subscriber in subscribers.withLockedValue({ $0 }) {
            try await subscriber.handle(events)
        }
    }
}

/// The events queued in memory, and how many were dropped since the last write because the queue was full.
private struct PullQueue {
    var events: [DomainEvent] = []
    var dropped = 0
}
