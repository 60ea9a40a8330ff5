import Logging
import NIOConcurrencyHelpers

/// Logs a service's outages once each: a line when the first failure of an outage is seen, and one when
/// the service works again (with how long it was out and how many calls failed meanwhile), instead of a
/// line per failed request.
public final class OutageLog: Sendable {
    private let service: ServiceFault.Service
    private let logger: Logger
    private let details = NIOLockedValueBox<(since: ContinuousClock.Instant, failures: Int)?>(nil)
    private let enabled: NIOLockedValueBox<Bool>

    /// A log for `service`; one created `enabled: false` records nothing until `enable()`.
    public init(_ service: ServiceFault.Service, logger: Logger, enabled: Bool = true) {
        self.service = service
        self.logger = logger
        self.enabled = NIOLockedValueBox(enabled)
    }

    public func enable() { enabled.withLockedValue { $0 = true } }

    /// Records a failed call; logs it when it starts an outage.
    public func failed(_ fault: ServiceFault) {
        guard enabled.withLockedValue({ $0 }) else { return }
        let first = details.withLockedValue { details -> Bool in
            if let current = details {
                details = (current.since, current.failures + 1)
                return false
            }
            details = (.now, 1)
            return true
        }
        if first {
            logger.error("\(fault.service.rawValue) \(fault.kind == .unavailable ? "unavailable" : "full"); requests are refused until it recovers",
                         metadata: ["reason": "\(fault.reason)"])
        }
    }

    /// Records a successful call; logs the end of an outage.
    public func succeeded() {
        guard let ended = details.withLockedValue({ details -> (since: ContinuousClock.Instant, failures: Int)? in
            defer { details = nil }
            return details
        }) else { return }
        logger.notice("\(service.rawValue) available again", metadata: [
            "outage-seconds": "\((ContinuousClock.now - ended.since).components.seconds)", "failed-calls": "\(ended.failures)",
        ])
    }
}
