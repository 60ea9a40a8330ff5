import AsyncKit
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresKit
import SQLiteKit
import SQLKit

/// The SQL engines Wharf runs on.
public enum SQLEngine: Sendable {
    case sqlite
    case postgres
}

/// A pool of connections to SQLite or PostgreSQL, handing out SQLKit databases.
///
/// SQLite runs in WAL mode on a small pool of its own (`SQLiteConnectionPool`); write transactions are
/// serialised by an async lock and start with `BEGIN IMMEDIATE`. PostgreSQL uses AsyncKit's pool.
public final class DatabasePool: Sendable {
    public let engine: SQLEngine
    private let connect: @Sendable () async throws -> PooledConnection
    private let release: @Sendable (PooledConnection) -> Void
    private let shutdownPool: @Sendable () async throws -> Void
    /// Serialises SQLite write transactions (PostgreSQL needs no such lock).
    private let writeLock = AsyncWriteLock()
    /// Called after every committed write transaction (the store empties its caches there).
    let afterCommit = NIOLockedValueBox<@Sendable () -> Void>({})

    /// Opens a pool for `DB_URI` (`postgresql://…`, `sqlite:///path` or a plain path), or for the SQLite
    /// file `defaultSQLitePath` when `uri` is nil.
    public static func open(uri: String?, defaultSQLitePath: String, logger: Logger) async throws -> DatabasePool {
        let group = MultiThreadedEventLoopGroup.singleton
        if let uri, uri.hasPrefix("postgres") {
            let normalized = uri.hasPrefix("postgresql+psycopg2://") ? "postgresql://" + uri.dropFirst("postgresql+psycopg2://".count) : uri
            var configuration = try SQLPostgresConfiguration(url: String(normalized))
            configuration.searchPath = nil
            let pool = EventLoopGroupConnectionPool(
                source: PostgresConnectionSource(sqlConfiguration: configuration),
                maxConnectionsPerEventLoop: 8, pruneInterval: .seconds(60), logger: logger, on: group)
            return DatabasePool(engine: .postgres, pool: pool, makeDatabase: { $0.sql() })
        }
        let path: String
        if let uri {
            path = uri.hasPrefix("sqlite:///") ? "/" + uri.dropFirst("sqlite:///".count) : uri
        } else {
            path = defaultSQLitePath
        }
        let pool = try await SQLiteConnectionPool.open(path: path, size: 4, logger: logger)
        return DatabasePool(engine: .sqlite, connect: {
            let connection = await pool.acquire()
            return PooledConnection(connection: connection, database: connection.sql())
        }, release: { pooled in
            if let connection = pooled.connection as? SQLiteConnection { pool.release(connection) }
        }, shutdown: { try await pool.close() })
    }

    private init(engine: SQLEngine, connect: @escaping @Sendable () async throws -> PooledConnection,
                 release: @escaping @Sendable (PooledConnection) -> Void, shutdown: @escaping @Sendable () async throws -> Void) {
        self.engine = engine
        self.connect = connect
        self.release = release
        shutdownPool = shutdown
    }

    private init<Source: ConnectionPoolSource>(
        engine: SQLEngine, pool: EventLoopGroupConnectionPool<Source>,
        makeDatabase: @escaping @Sendable (Source.Connection) -> any SQLDatabase
    ) {
        self.engine = engine
        let box = UncheckedBox(pool)
        connect = {
            let pool = box.value
            let connection = try await pool.requestConnection().get()
            return PooledConnection(connection: connection, database: makeDatabase(connection))
        }
        release = { pooled in
            if let connection = pooled.connection as? Source.Connection { box.value.releaseConnection(connection) }
        }
        shutdownPool = { try await box.value.shutdownAsync() }
    }

    /// Runs `body` with a connection of its own.
    public func withDatabase<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        let pooled = try await connect()
        defer { release(pooled) }
        return try await body(pooled.database)
    }

    /// Runs `body` in a write transaction, committing when it returns and rolling back when it throws.
    /// Every write goes through here, so that on SQLite writers queue one at a time.
    public func transaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        if engine == .sqlite {
            return try await writeLock.withLock { try await runTransaction(body) }
        }
        return try await runTransaction(body)
    }

    private func runTransaction<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await withDatabase { db in
            try await db.raw(engine == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
            do {
                let result = try await body(db)
                try await db.raw("COMMIT").run()
                afterCommit.withLockedValue { $0 }()
                return result
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    public func shutdown() async throws { try await shutdownPool() }
}

/// Carries AsyncKit's pool (thread-safe, but not annotated `Sendable`) into `@Sendable` closures.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A connection leased from a pool together with its SQLKit view.
struct PooledConnection: @unchecked Sendable {
    let connection: Any
    let database: any SQLDatabase
}
