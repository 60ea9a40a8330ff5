import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLiteNIO

/// A fixed set of SQLite connections handed out to async callers without event-loop hops: a caller
/// takes an idle connection or waits (suspended) for one to come back.
final class SQLiteConnectionPool: Sendable {
    private struct State {
        var idle: [SQLiteConnection]
        var waiters: [CheckedContinuation<SQLiteConnection, Never>] = []
    }

    private let state: NIOLockedValueBox<State>
    private let all: [SQLiteConnection]

    /// Opens `size` connections to the database file at `path`, tuned for a server (WAL, busy timeout,
    /// foreign keys).
    static func open(path: String, size: Int, logger: Logger) async throws -> SQLiteConnectionPool {
        var connections: [SQLiteConnection] = []
        let group = MultiThreadedEventLoopGroup.singleton
        for _ in 0..<size {
            let connection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: .singleton,
                                                             logger: logger, on: group.any())
            for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
                           "PRAGMA busy_timeout = 10000", "PRAGMA foreign_keys = ON"] {
                _ = try await connection.query(pragma, []).get()
            }
            connections.append(connection)
        }
        return SQLiteConnectionPool(connections)
    }

    private init(_ connections: [SQLiteConnection]) {
        all = connections
        state = NIOLockedValueBox(State(idle: connections))
    }

    func acquire() async -> SQLiteConnection {
        await withCheckedContinuation { (continuation: CheckedContinuation<SQLiteConnection, Never>) in
            let connection = state.withLockedValue { state -> SQLiteConnection? in
                if let connection = state.idle.popLast() { return connection }
                state.waiters.append(continuation)
                return nil
            }
            if let connection { continuation.resume(returning: connection) }
        }
    }

    func release(_ connection: SQLiteConnection) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<SQLiteConnection, Never>? in
            if state.waiters.isEmpty {
                state.idle.append(connection)
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: connection)
    }

    func close() async throws {
        for connection in all { try await connection.close() }
    }
}
