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
    private let entries = NIOLockedValueBox([String: (entry: Entry, expires: Date)]())

    init(ttl: TimeInterval) {
        self.ttl = ttl
    }

    var isEnabled: Bool { ttl > 0 }

    func get(_ key: String) -> Entry? {
        guard isEnabled else { return nil }
        return entries.withLockedValue { entries in
            guard let hit = entries[key] else { return nil }
            if hit.expires > Date() { return hit.entry }
            entries[key] = nil
            return nil
        }
    }

    func put(_ key: String, _ entry: Entry) {
        guard isEnabled else { return }
        entries.withLockedValue { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = (entry, Date().addingTimeInterval(ttl))
        }
    }

    func removeAll() {
        guard isEnabled else { return }
        entries.withLockedValue { $0.removeAll(keepingCapacity: true) }
    }
}
