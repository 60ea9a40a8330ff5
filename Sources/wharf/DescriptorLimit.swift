#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOConcurrencyHelpers

/// The process's file descriptor limit, which bounds how many connections the server can hold.
enum DescriptorLimit {
    /// Descriptors kept for the database, blob files and the listener.
    static let reserve = 256

    /// Raises the soft limit to the hard one, and returns how many connections fit under it: `connectionLimit`,
    /// or fewer (logged) when the descriptors would run out first.
    static func raise(connectionLimit: Int, logger: Logger) -> Int {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return connectionLimit }
        if limits.rlim_cur < limits.rlim_max {
            var raised = limits
            raised.rlim_cur = limits.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limits = raised }
        }
        let fitting = max(Int(clamping: limits.rlim_cur) - reserve, 1)
        guard fitting < connectionLimit else { return connectionLimit }
        logger.warning("HTTP_MAX_CONNECTIONS lowered to fit the file descriptor limit",
                       metadata: ["connections": "\(fitting)", "descriptors": "\(limits.rlim_cur)"])
        return fitting
    }
}

/// Set once the server is listening (a failure before that is a startup error).
final class ListeningFlag: Sendable {
    private let value = NIOLockedValueBox(false)
    func set() { value.withLockedValue { $0 = true } }
    var isSet: Bool { value.withLockedValue { $0 } }
}
