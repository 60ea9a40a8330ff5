import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLKit

/// The registry's metadata: accounts, repositories, blobs, uploads, manifests and tags, in SQL.
///
/// The same code runs on SQLite and PostgreSQL. The store itself only reads (`MetadataReading`); every
/// change is made through a `StoreTransaction`, which a domain service holds across all the changes of
/// one operation, together with the events that record them.
public final class MetadataStore: MetadataReading, Sendable {
    public let pool: DatabasePool
    /// Decodes rows by column name; records name their columns in `CodingKeys` (no key conversion on the hot path).
    public let decoder = SQLRowDecoder()

    let lookups: LookupCache
    /// Where deep pages of tag histories start.
    let pageAnchors = TagPageAnchors()
    /// Ids of the organizations the server keeps for itself, by role.
    let systemOrganizationIDs = NIOLockedValueBox([String: Int64]())
    /// Called after a transaction that recorded claimed events commits, with those events (see `transaction`).
    private let eventObserver = NIOLockedValueBox<@Sendable ([RecordedEvent]) async -> Void>({ _ in })

    /// A store over `pool`; pull-by-tag lookups are cached for `lookupCacheTTL` seconds (0: not cached).
    public init(pool: DatabasePool, lookupCacheTTL: TimeInterval = 0) {
        self.pool = pool
        let lookups = LookupCache(ttl: lookupCacheTTL)
        self.lookups = lookups
        pool.afterCommit.withLockedValue { $0 = { lookups.removeAll() } }
    }

    /// Opens the database named by `uri` (SQLite at `defaultSQLitePath` when nil) and migrates it.
    public static func open(uri: String?, defaultSQLitePath: String, lookupCacheTTL: TimeInterval = 0, logger: Logger) async throws -> MetadataStore {
        let pool = try await DatabasePool.open(uri: uri, defaultSQLitePath: defaultSQLitePath, logger: logger)
        do {
            try await Migrator.migrate(pool)
        } catch {
            try? await pool.shutdown()
            throw error
        }
        pool.reportOutages()
        return MetadataStore(pool: pool, lookupCacheTTL: lookupCacheTTL)
    }

    public func shutdown() async throws { try await pool.shutdown() }

    /// The current time in milliseconds since the epoch.
    public static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Runs `body` in one write transaction: everything it changes, and the events it records, commits
    /// when it returns and rolls back when it throws. After the commit the events it claimed go to the
    /// observer (the domain's event bus) before this returns.
    public func transaction<T: Sendable>(_ body: (StoreTransaction) async throws -> T) async throws -> T {
        let recorded = RecordedEvents()
        let result = try await pool.transaction { db in
            try await body(StoreTransaction(store: self, db: db, events: recorded))
        }
        let events = recorded.all
        if !events.isEmpty { await eventObserver.withLockedValue { $0 }(events) }
        return result
    }

    /// Sets who hears of the claimed events each committed transaction recorded.
    public func observeEvents(_ observer: @escaping @Sendable ([RecordedEvent]) async -> Void) {
        eventObserver.withLockedValue { $0 = observer }
    }
}

/// Where the store's queries run: the pool's own connections, or the connection of one transaction.
public protocol SQLRunner: Sendable {
    var engine: SQLEngine { get }
    /// Runs `body` with a connection.
    func withDatabase<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` in a write transaction (inside a `StoreTransaction`, the one it holds).
    func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T
}

extension DatabasePool: SQLRunner {}

/// The queries of the store, which both the store and a transaction (seeing its own changes) answer.
public protocol MetadataReading: Sendable {
    associatedtype Runner: SQLRunner
    var pool: Runner { get }
    var decoder: SQLRowDecoder { get }
}

extension MetadataReading {
    func first<T: Decodable & Sendable>(_ query: SQLQueryString, as type: T.Type) async throws -> T? {
        try await pool.withDatabase { db in try await db.raw(query).first(decoding: T.self, with: decoder) }
    }

    func all<T: Decodable & Sendable>(_ query: SQLQueryString, as type: T.Type) async throws -> [T] {
        try await pool.withDatabase { db in try await db.raw(query).all(decoding: T.self, with: decoder) }
    }
}

/// One write transaction of the store, held by a domain service across all the changes of one
/// operation: the store's queries see what it changed, its write methods (extensions in the
/// `MetadataStore+…` files) change, and `record` adds the events that describe the change to the
/// outbox in the same transaction.
public struct StoreTransaction: MetadataReading, @unchecked Sendable {
    /// The store, for what only it keeps (caches).
    public let store: MetadataStore
    let db: any SQLDatabase
    let events: RecordedEvents

    init(store: MetadataStore, db: any SQLDatabase, events: RecordedEvents) {
        self.store = store
        self.db = db
        self.events = events
    }

    public var pool: TransactionRunner { TransactionRunner(db: db, engine: store.pool.engine) }
    public var decoder: SQLRowDecoder { store.decoder }

    /// Runs one writing statement.
    func run(_ query: SQLQueryString) async throws {
        try await db.raw(query).run()
    }

    /// Runs one `DELETE … RETURNING id` statement; whether it deleted anything.
    func deleteReturning(_ query: SQLQueryString) async throws -> Bool {
        try await db.raw(query).first() != nil
    }
}

/// The connection of a transaction, as a `SQLRunner`: everything runs on it, with no transaction of its own.
public struct TransactionRunner: SQLRunner, @unchecked Sendable {
    let db: any SQLDatabase
    public let engine: SQLEngine

    public func withDatabase<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(db)
    }

    public func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(db)
    }
}

/// Rows that carry just an id.
struct IDRow: Decodable { let id: Int64 }

/// Rows that carry an id and a digest.
struct DigestIDRow: Decodable { let id: Int64; let digest: String }

extension MetadataStore {
    /// Values bound in one `IN (…)` list at most (SQLite allows 32,766 bound values per statement).
    static let inListLimit = 500
}

extension Array {
    /// The elements in consecutive slices of at most `size`.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
