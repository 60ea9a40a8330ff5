import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLKit

/// The registry's metadata: accounts, repositories, blobs, uploads, manifests and tags, in SQL.
///
/// The same code runs on SQLite and PostgreSQL; every method is one short transaction or query.
public final class MetadataStore: Sendable {
    public let pool: DatabasePool
    /// Decodes rows by column name; records name their columns in `CodingKeys` (no key conversion on the hot path).
    let decoder = SQLRowDecoder()

    let lookups: LookupCache
    /// Where deep pages of tag histories start.
    let pageAnchors = TagPageAnchors()
    /// Ids of the organizations the server keeps for itself, by role.
    let systemOrganizationIDs = NIOLockedValueBox([String: Int64]())

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

    func first<T: Decodable & Sendable>(_ query: SQLQueryString, as type: T.Type) async throws -> T? {
        try await pool.withDatabase { db in try await db.raw(query).first(decoding: T.self, with: decoder) }
    }

    func all<T: Decodable & Sendable>(_ query: SQLQueryString, as type: T.Type) async throws -> [T] {
        try await pool.withDatabase { db in try await db.raw(query).all(decoding: T.self, with: decoder) }
    }

    /// Runs one `DELETE … RETURNING id` statement; whether it deleted anything.
    func deleteReturning(_ query: SQLQueryString) async throws -> Bool {
        try await pool.transaction { db in try await db.raw(query).first() != nil }
    }

    /// Runs one writing statement (in a transaction, so SQLite writers queue).
    func run(_ query: SQLQueryString) async throws {
        try await pool.transaction { db in try await db.raw(query).run() }
    }
}

/// Rows that carry just an id.
struct IDRow: Decodable { let id: Int64 }
