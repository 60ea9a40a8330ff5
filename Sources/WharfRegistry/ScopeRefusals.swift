import NIOConcurrencyHelpers
import WharfDomain

/// Remembers, for a minute, which registry tokens were refused for lacking a scope, so that the answer
/// to a second try with the same token differs from the first.
///
/// The first refusal is 401 with `error="insufficient_scope"`, as distribution and Quay answer: clients
/// that cache tokens (containerd, regclient, the conformance suite) fetch a wider one on a 401 only. A
/// client that sends the same token again (oras-py fetches a new token on a 403 only) then gets 403
/// `DENIED` with the same challenge. Each node keeps its own memory; on another node the retry is a 401
/// again, which is still correct.
final class ScopeRefusals: Sendable {
    private let refused = NIOLockedValueBox([String: ContinuousClock.Instant]())
    static let memory: Duration = .seconds(60)
    static let capacity = 10_000

    /// Whether this token was refused `action` on `name` within the last minute; records this refusal.
    func refusedBefore(token: String, name: String, action: String) -> Bool {
        let key = Secrets.sha256Hex(token) + " " + name + " " + action
        let now = ContinuousClock.now
        return refused.withLockedValue { refused in
            let before = refused[key].map { now - $0 < Self.memory } ?? false
            if refused.count >= Self.capacity { refused = refused.filter { now - $0.value < Self.memory } }
            if refused.count >= Self.capacity { refused.removeAll() }
            refused[key] = now
            return before
        }
    }
}
