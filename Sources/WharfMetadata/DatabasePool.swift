import AsyncKit
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresKit
import SQLiteKit
import SQLKit
import WharfFaults

/// The SQL engines Wharf runs on.
public enum SQLEngine: Sendable {
    case sqlite
    case postgres
}

/// A pool of connections to SQLite or PostgreSQL, handing out SQLKit databases.
///
/// SQLite runs in WAL mode on a small pool of its own (`SQLiteConnectionPool`); write transactions are
/// serialised by an async lock and start with `BEGIN IMMEDIATE`. PostgreSQL uses AsyncKit's pool.
/// Failures that are the database's, not the request's, come out as `ServiceFault`s (see
/// `DatabaseFaults`), and each outage is logged once.
public final class DatabasePool: Sendable {
    public let engine: SQLEngine
    /// Where outages of the database are logged.
    private let outages: OutageLog
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
            // The pool would log every failed connection attempt; the outage log reports outages instead.
            var quiet = logger
            quiet.logLevel = .critical
            let pool = EventLoopGroupConnectionPool(
                source: PostgresConnectionSource(sqlConfiguration: configuration),
                maxConnectionsPerEventLoop: 8, pruneInterval: .seconds(60), logger: quiet, on: group)
            return DatabasePool(engine: .postgres, pool: pool, makeDatabase: { $0.sql() }, logger: logger)
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
        }, shutdown: { try await pool.close() }, logger: logger)
    }

    private init(engine: SQLEngine, connect: @escaping @Sendable () async throws -> PooledConnection,
                 release: @escaping @Sendable (PooledConnection) -> Void, shutdown: @escaping @Sendable () async throws -> Void,
                 logger: Logger) {
        self.engine = engine
        outages = OutageLog(.database, logger: logger, enabled: false)
        self.connect = connect
        self.release = release
        shutdownPool = shutdown
    }

    private init<Source: ConnectionPoolSource>(
        engine: SQLEngine, pool: EventLoopGroupConnectionPool<Source>,
        makeDatabase: @escaping @Sendable (Source.Connection) -> any SQLDatabase, logger: Logger
    ) {
        self.engine = engine
        outages = OutageLog(.database, logger: logger, enabled: false)
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

    /// Starts logging outages (not done while the store opens: a database out of reach then is a startup
    /// error, reported once by the caller).
    public func reportOutages() { outages.enable() }

    /// Runs `body` with a connection of its own.
    public func withDatabase<T: Sendable>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        let pooled: PooledConnection
        do {
            pooled = try await connect()
        } catch {
            throw fault(error, connecting: true)
        }
        defer { release(pooled) }
        do {
            let result = try await body(pooled.database)
            outages.succeeded()
            return result
        } catch {
            throw fault(error, connecting: false)
        }
    }

    /// The error to throw for a failure, recorded in the outage log when it is the database's.
    private func fault(_ error: any Error, connecting: Bool) -> any Error {
        if error is ServiceFault { return error }
        let classified = DatabaseFaults.classify(error, connecting: connecting)
        if let fault = classified as? ServiceFault { outages.failed(fault) }
        return classified
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
                // In a task of its own, so that a cancelled caller still leaves the connection out of the transaction.
                let connection = UncheckedBox(db)
                await Task { try? await connection.value.raw("ROLLBACK").run() }.value
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
