import Foundation
import NIOConcurrencyHelpers

/// A short-lived cache of pull-by-tag lookups (repository and the manifest its tag points at).
///
/// It is only a cache: every write committed through this node's store empties it, so this node reads its
/// own writes at once; writes made on other nodes are seen after at most `ttl`. A `ttl` of zero disables it.
final class LookupCache: Sendable {
    typealias Entry = (repository: RepositoryRecord, manifest: ManifestRecord?)

    private let ttl: TimeInterval
    private let capacity = 10_000
    private let state = NIOLockedValueBox((generation: 0, entries: [String: (entry: Entry, expires: Date)]()))

    init(ttl: TimeInterval) {
        self.ttl = ttl
    }

    var isEnabled: Bool { ttl > 0 }

    func get(_ key: String) -> Entry? {
        guard isEnabled else { return nil }
        return state.withLockedValue { state in
            guard let hit = state.entries[key] else { return nil }
            if hit.expires > Date() { return hit.entry }
            state.entries[key] = nil
            return nil
        }
    }

    /// The number of times the cache was emptied; read it before a lookup and pass it to `put`.
    var generation: Int { state.withLockedValue { $0.generation } }

    /// Stores a lookup made when the cache was at `generation`; dropped if a write emptied the cache since,
    /// because the lookup may then predate that write.
    func put(_ key: String, _ entry: Entry, generation: Int) {
        guard isEnabled else { return }
        state.withLockedValue { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = (entry, Date().addingTimeInterval(ttl))
        }
    }

    func removeAll() {
        guard isEnabled else { return }
        state.withLockedValue { state in
            state.generation += 1
            state.entries.removeAll(keepingCapacity: true)
        }
    }
}
