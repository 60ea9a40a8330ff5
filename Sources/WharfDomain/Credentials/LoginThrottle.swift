import Foundation

/// Exponential back-off after failed password checks, as Quay's `invalid_login_attempts`: a few
/// failures are free, then each further try must wait twice as long as the one before.
public enum LoginThrottle {
    /// Failures allowed before any waiting.
    static let freeAttempts = 5
    /// The longest wait, in seconds.
    static let maximumDelay: Int64 = 300

    /// A password check refused without being made; retry after `retryAfter` seconds.
    public struct TooManyAttempts: Error, Sendable, Equatable {
        public let retryAfter: Int
    }

    /// Seconds still to wait after `failures` failed tries, the last at `lastMs`; nil when a try may be made now.
    static func delay(failures: Int, lastMs: Int64?, nowMs: Int64) -> Int? {
        guard failures >= freeAttempts, let lastMs else { return nil }
        let waitMs = min(Int64(1) << min(failures - freeAttempts, 20), maximumDelay) * 1000
        let remaining = lastMs + waitMs - nowMs
        return remaining > 0 ? Int((remaining + 999) / 1000) : nil
    }
}
