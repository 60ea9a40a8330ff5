import NIOConcurrencyHelpers
import WharfOCI

/// Running SHA-256 states of uploads in progress on this node, keyed by upload id.
///
/// Only an optimisation: when an upload continues on another node or after a restart, its staged bytes
/// are hashed again from storage.
final class UploadHashCache: Sendable {
    private let states = NIOLockedValueBox([String: (offset: Int64, hasher: DigestHasher)]())

    /// The hasher for `id` if it has hashed exactly `offset` bytes; removes it from the cache.
    func take(_ id: String, offset: Int64) -> DigestHasher? {
        states.withLockedValue { states in
            guard let entry = states.removeValue(forKey: id), entry.offset == offset else { return nil }
            return entry.hasher
        }
    }

    func put(_ id: String, offset: Int64, hasher: DigestHasher) {
        states.withLockedValue { states in
            if states.count > 4096 { states.removeAll() }
            states[id] = (offset, hasher)
        }
    }

    func remove(_ id: String) {
        states.withLockedValue { _ = $0.removeValue(forKey: id) }
    }
}
