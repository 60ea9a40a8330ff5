import Foundation
import Logging
import NIOConcurrencyHelpers
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// Collects what it is handed, as a subscriber of the event bus.
final class CollectingSubscriber: EventSubscriber {
    private let received = NIOLockedValueBox<[DeliveredEvent]>([])

    func handle(_ events: [DeliveredEvent]) async throws {
        received.withLockedValue { $0.append(contentsOf: events) }
    }

    var kinds: [DomainEvent.Kind] { received.withLockedValue { $0.map(\.event.kind) } }
    var ids: [Int64] { received.withLockedValue { $0.map(\.id) } }
}

/// The outbox: events commit with the change that records them, reach every subscriber after the
/// commit, are written to the audit log once however often they are delivered, and are taken over by
/// another node when their deliverer dies; on SQLite and PostgreSQL.
final class EventOutboxTests: XCTestCase {
    let logger = Logger(label: "wharf-events-test")

    func testAnEventCommitsWithItsChangeAndIsDeliveredBeforeTheOperationAnswers() async throws {
        try await withEachTestStore { store, _, _ in
            let bus = EventBus(store: store, logger: logger)
            let subscriber = CollectingSubscriber()
            bus.subscribe(subscriber)
            let alice = try await store.transaction { tx in
                let alice = try await tx.createUser(username: "alice", email: nil, passwordHash: nil)
                try await tx.emit(.userCreate, namespace: alice, by: nil, details: ["username": "alice"])
                return alice
            }
            XCTAssertEqual(subscriber.kinds, [.userCreate], "an audited change is delivered before the transaction call returns")
            let delivered = try await store.pendingEventCount()
            XCTAssertEqual(delivered, 1, "a delivered event leaves the outbox with the next batch")
            let batch = try await bus.deliverPending()
            XCTAssertEqual(batch, 0, "an event delivered at once is not delivered again")
            let pending = try await store.pendingEventCount()
            XCTAssertEqual(pending, 0)
            let stored = try await store.account(id: alice.id)
            XCTAssertNotNil(stored)
        }
    }

    func testARolledBackChangeLeavesNoEvent() async throws {
        try await withEachTestStore { store, _, _ in
            let bus = EventBus(store: store, logger: logger)
            let subscriber = CollectingSubscriber()
            bus.subscribe(subscriber)
            struct Refused: Error {}
            do {
                try await store.transaction { tx in
                    let bob = try await tx.createUser(username: "bob", email: nil, passwordHash: nil)
                    try await tx.emit(.userCreate, namespace: bob, by: nil)
                    throw Refused()
                }
                XCTFail("the transaction should have thrown")
            } catch is Refused {}
            XCTAssertEqual(subscriber.kinds, [])
            let pending = try await store.pendingEventCount()
            XCTAssertEqual(pending, 0)
            let bob = try await store.account(named: "bob")
            XCTAssertNil(bob)
        }
    }

    func testBatchedEventsWaitForTheDelivererAndPullsForTheFlush() async throws {
        try await withEachTestStore { store, _, _ in
            let bus = EventBus(store: store, logger: logger)
            let subscriber = CollectingSubscriber()
            bus.subscribe(subscriber)
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let repository = try await store.createRepository(namespaceID: alice.id, name: "app", visibility: .private)
            try await store.transaction { tx in
                try await tx.emit(.pushRepository, by: nil, repository: repository, details: ["tag": "v1"])
            }
            bus.recordSoon(DomainEvent(.pullRepository, namespace: nil, by: nil, repository: repository, details: ["tag": "v1"]))
            XCTAssertEqual(subscriber.kinds, [], "pushes and pulls are delivered in batches")
            let waiting = try await store.pendingEventCount()
            XCTAssertEqual(waiting, 1, "the push waits in the outbox; the pull only in memory")
            try await bus.flush()
            let delivered = try await bus.deliverPending()
            XCTAssertEqual(delivered, 2)
            XCTAssertEqual(subscriber.kinds, [.pushRepository, .pullRepository])
            let pending = try await store.pendingEventCount()
            XCTAssertEqual(pending, 0)
        }
    }

    /// Pulls queued beyond the buffer's limit are dropped, reported once when the dropping starts and once,
    /// with their number, when the buffer is written out; the queued ones all reach the outbox.
    func testPullsBeyondTheBufferAreDroppedAndReportedOncePerEpisode() async throws {
        try await withEachTestStore { store, _, _ in
            let log = CollectedLog()
            let bus = EventBus(store: store, logger: log.logger(), bufferLimit: 3)
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let repository = try await store.createRepository(namespaceID: alice.id, name: "app", visibility: .private)
            for _ in 0..<7 {
                bus.recordSoon(DomainEvent(.pullRepository, namespace: nil, by: nil, repository: repository, details: ["tag": "v1"]))
            }
            XCTAssertEqual(log.all.filter { $0.level == .error }.count, 1, "the drop is reported once, not per event")
            try await bus.flush()
            let written = try await store.pendingEventCount()
            XCTAssertEqual(written, 3)
            let drained = try XCTUnwrap(log.all.last)
            XCTAssertEqual(drained.level, .notice)
            XCTAssertEqual(drained.metadata["dropped"], "4")
            bus.recordSoon(DomainEvent(.pullRepository, namespace: nil, by: nil, repository: repository, details: ["tag": "v1"]))
            try await bus.flush()
            XCTAssertEqual(log.all.count, 2, "a buffer that did not overflow reports nothing")
        }
    }

    func testTheAuditLogWritesAnEventDeliveredTwiceOnce() async throws {
        try await withEachTestStore { store, _, _ in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let audit = AuditLog(store: store)
            let event = DeliveredEvent(id: 41, event: DomainEvent(.userChangeEmail, namespace: alice, by: nil, details: ["email": "a@b.c"]))
            try await audit.handle([event])
            try await audit.handle([event])
            let entries = try await store.logPage(LogQuery(scope: .namespace(alice.id), startMs: 0, endMs: Int64.max / 2), after: nil, limit: 10)
            XCTAssertEqual(entries.map(\.entry.kind), ["user_change_email"])
        }
    }

    func testAnotherNodeDeliversTheEventsOfADeliverThatDied() async throws {
        try await withEachTestStore { store, uri, path in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let repository = try await store.createRepository(namespaceID: alice.id, name: "app", visibility: .private)
            try await store.transaction { tx in
                try await tx.emit(.pushRepository, by: nil, repository: repository, details: ["tag": "v1"])
            }
            // The first node claims the push for a short lease and dies before delivering it.
            let claimed = try await store.claimEvents(kinds: ["push_repo"], createdBeforeMs: 0, limit: 10, leaseMs: 200)
            XCTAssertEqual(claimed.count, 1)

            let other = try await MetadataStore.open(uri: uri, defaultSQLitePath: path, logger: logger)
            let bus = EventBus(store: other, logger: logger, leaseMs: 200)
            let subscriber = CollectingSubscriber()
            bus.subscribe(subscriber)
            let early = try await bus.deliverPending()
            XCTAssertEqual(early, 0, "a claimed event is not taken while its lease runs")
            try await Task.sleep(for: .milliseconds(300))
            let late = try await bus.deliverPending()
            XCTAssertEqual(late, 1, "once the lease has run out another node delivers it")
            XCTAssertEqual(subscriber.ids, claimed.map(\.id))
            try await other.shutdown()
        }
    }
}
