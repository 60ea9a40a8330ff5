import AsyncKit
import NIOCore
import NIOPosix
import PostgresNIO
import SQLiteNIO
import WharfFaults

/// Sorts the database's failures into what the APIs answer: the database out of reach (`ServiceFault`
/// `.unavailable`, 503), out of room (`.full`, 507), text it will not store (`UnstorableText`, 400);
/// anything else (a constraint, a bug) is left as it is.
public enum DatabaseFaults {
    /// The error to throw for `error`, raised while `connecting` (taking a connection from the pool) or
    /// while running statements.
    public static func classify(_ error: any Error, connecting: Bool) -> any Error {
        switch error {
        case is ServiceFault, is UnstorableText:
            return error
        case let error as PSQLError:
            return classify(error)
        case let error as SQLiteError:
            return classify(error)
        case is ChannelError, is IOError, is NIOConnectionError, is ConnectionPoolTimeoutError, is ConnectionPoolError:
            return ServiceFault(.unavailable, .database, reason: "\(error)")
        default:
            return connecting ? ServiceFault(.unavailable, .database, reason: "\(error)") : error
        }
    }

    /// A one-line description of a database error for the server's log: PostgreSQL's message and SQL state
    /// (PSQLError's own description hides them), anything else as it describes itself.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        guard let info = error.serverInfo else { return "PostgreSQL \(error.code)" + (error.underlying.map { ": \($0)" } ?? "") }
        return "PostgreSQL: \(info[.message] ?? "?") (SQL state \(info[.sqlState] ?? "?"))"
    }

    private static func classify(_ error: PSQLError) -> any Error {
        let detail = error.serverInfo?[.message] ?? error.underlying.map { "\($0)" }
        let reason = "PostgreSQL \(error.code)" + (detail.map { ": \($0)" } ?? "")
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else {
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
                 .sslUnsupported, .failedToAddSSLHandler, .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
                return ServiceFault(.unavailable, .database, reason: reason)
            default:
                return error
            }
        }
        switch state {
        case "22021", "22P05": return UnstorableText()
        case "53100": return ServiceFault(.full, .database, reason: reason)
        case "53200", "53300", "57P01", "57P02", "57P03", "25006": return ServiceFault(.unavailable, .database, reason: reason)
        default: return state.hasPrefix("08") ? ServiceFault(.unavailable, .database, reason: reason) : error
        }
    }

    private static func classify(_ error: SQLiteError) -> any Error {
        let reason = "SQLite \(error)"
        switch error.reason {
        case .full:
            return ServiceFault(.full, .database, reason: reason)
        case .busy, .busyInRecovery, .busyInSnapshot, .busyTimeout, .locked, .lockedBySharedCache, .cantOpen, .cantOpenDirectory,
             .readOnly, .readonlyCantLock, .readonlyDirectory, .readonlyInRecovery, .readonlyInRollback, .noMemory:
            return ServiceFault(.unavailable, .database, reason: reason)
        default:
            return "\(error.reason)".hasPrefix("ioError") ? ServiceFault(.unavailable, .database, reason: reason) : error
        }
    }
}
