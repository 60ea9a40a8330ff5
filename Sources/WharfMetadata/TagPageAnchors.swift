import Foundation
import NIOConcurrencyHelpers

/// Where every `stride`-th row of a repository's tag history starts, so that a deep page is read from the
/// nearest such anchor with a short `OFFSET` instead of stepping over every row before it (a page of a
/// 100,000-row history would otherwise cost a scan of up to 100,000 index entries).
///
/// Only a cache: an entry is kept for one `tag_version` of the repository (every change to its tags
/// bumps it, in the database, so every node notices) and only until the first moment a row leaves the
/// listing by time alone (it ends, or falls out of the time-machine window).
final class TagPageAnchors: Sendable {
    /// The sort key of a history row: `lifetime_start_ms DESC, name, id DESC`.
    struct SortKey: Sendable, Equatable, Decodable {
        let start: Int64
        let name: String
        let id: Int64

        enum CodingKeys: String, CodingKey {
            case start = "lifetime_start_ms"
            case name
            case id
        }
    }

    /// Which listing the anchors are for.
    struct Key: Hashable, Sendable {
        let repositoryID: Int64
        let windowSeconds: Int64
    }

    struct Entry: Sendable {
        let version: Int64
        let validUntilMs: Int64
        /// `anchors[k]` is the key of the row at position `k * stride`.
        let anchors: [SortKey]
    }

    /// Rows between anchors.
    static let stride = 1000
    private let capacity = 1000
    private let entries = NIOLockedValueBox([Key: Entry]())

    /// The anchors for `key` if they are still those of `version` at `nowMs`.
    func get(_ key: Key, version: Int64, nowMs: Int64) -> [SortKey]? {
        entries.withLockedValue { entries in
            guard let entry = entries[key] else { return nil }
            guard entry.version == version, entry.validUntilMs > nowMs else {
                entries[key] = nil
                return nil
            }
            return entry.anchors
        }
    }

    func put(_ key: Key, _ entry: Entry) {
        entries.withLockedValue { entries in
            if entries.count >= capacity, entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key] = entry
        }
    }
}
