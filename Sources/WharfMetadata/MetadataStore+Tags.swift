import Foundation
import SQLKit
import WharfOCI

/// A row of a repository's tag history: one lifetime of a tag name pointing at one manifest.
public struct TagHistoryRow: Sendable, Equatable, Decodable {
    public let id: Int64
    public let name: String
    public let manifestID: Int64
    public let manifestDigest: String
    public let mediaType: String
    public let layersSize: Int64
    public let startMs: Int64
    public let endMs: Int64?
    public let reversion: Bool
    public let immutable: Bool

    enum CodingKeys: String, CodingKey {
        case id, name, reversion, immutable
        case manifestID = "manifest_id"
        case manifestDigest = "digest"
        case mediaType = "media_type"
        case layersSize = "layers_size"
        case startMs = "lifetime_start_ms"
        case endMs = "lifetime_end_ms"
    }

    /// Whether the row is alive at `now` (not ended, or ending in the future).
    public func isAlive(at now: Int64) -> Bool { endMs.map { $0 > now } ?? true }
}

/// Which rows of a tag history to list.
public struct TagHistoryQuery: Sendable {
    public enum NameFilter: Sendable, Equatable {
        case any
        case equals(String)
        case contains(String)
    }

    public var name: NameFilter
    public var onlyActive: Bool
    /// The namespace's time-machine window: rows ended longer ago than this are gone for good.
    public var windowSeconds: Int64
    public var offset: Int
    public var limit: Int
    /// The repository's `tagVersion` as the caller read it (nil: read it when needed).
    public var tagVersion: Int64?

    public init(name: NameFilter = .any, onlyActive: Bool = false, windowSeconds: Int64, offset: Int = 0, limit: Int, tagVersion: Int64? = nil) {
        self.name = name
        self.onlyActive = onlyActive
        self.windowSeconds = windowSeconds
        self.offset = offset
        self.limit = limit
        self.tagVersion = tagVersion
    }
}

/// How moving a tag went.
public enum TagMove: Sendable, Equatable {
    /// The tag did not exist (or had ended) and now points at the manifest.
    case created
    /// The tag pointed at `from` and now points at the manifest.
    case moved(from: String)
    /// The tag already pointed at the manifest.
    case unchanged
}

extension MetadataStore {
    /// The label key whose value (`2w`, `12h`, …) sets the expiration of tags pointing at the manifest.
    public static let expiresAfterLabel = "quay.expires-after"

    static let tagHistoryColumns: SQLQueryString = """
        t.id, t.name, t.manifest_id, m.digest, m.media_type, m.layers_size, t.lifetime_start_ms, t.lifetime_end_ms, t.reversion, t.immutable
        """

    /// The order of a repository's tag history: newest first.
    static let historyOrder: SQLQueryString = "t.lifetime_start_ms DESC, t.name, t.id DESC"

    /// The anchor nearest before row `offset` of the whole history and its position, from the cache or
    /// computed anew (one pass over the history's index); nil when the history is shorter.
    fileprivate func pageAnchor(repositoryID: Int64, windowSeconds: Int64, version known: Int64?, offset: Int, now: Int64) async throws -> (TagPageAnchors.SortKey, Int)? {
        let key = TagPageAnchors.Key(repositoryID: repositoryID, windowSeconds: windowSeconds)
        struct Version: Decodable { let tag_version: Int64 }
        let read = known == nil ? try await first("SELECT tag_version FROM repository WHERE id = \(bind: repositoryID)", as: Version.self)?.tag_version : nil
        guard let version = known ?? read else { return nil }
        var anchors = pageAnchors.get(key, version: version, nowMs: now)
        if anchors == nil {
            let horizon = now - windowSeconds * 1000
            let computed = try await all("""
                SELECT x.lifetime_start_ms, x.name, x.id FROM (
                    SELECT t.lifetime_start_ms, t.name, t.id, ROW_NUMBER() OVER (ORDER BY \(Self.historyOrder)) AS position FROM tag t
                    WHERE t.repository_id = \(bind: repositoryID) AND t.hidden = FALSE AND (t.lifetime_end_ms IS NULL OR t.lifetime_end_ms > \(bind: horizon))
                ) x WHERE (x.position - 1) % \(bind: TagPageAnchors.stride) = 0 ORDER BY x.position
                """, as: TagPageAnchors.SortKey.self)
            struct NextEnd: Decodable { let next: Int64? }
            let nextEnd = try await first("""
                SELECT MIN(lifetime_end_ms) AS next FROM tag WHERE repository_id = \(bind: repositoryID) AND lifetime_end_ms > \(bind: horizon)
                """, as: NextEnd.self)?.next
            let leaves = nextEnd.map { $0.addingReportingOverflow(windowSeconds * 1000) }.map { $0.overflow ? Int64.max : $0.partialValue }
            pageAnchors.put(key, TagPageAnchors.Entry(version: version, validUntilMs: leaves ?? .max,
                                                      anchors: computed))
            anchors = computed
        }
        guard let anchors, !anchors.isEmpty else { return nil }
        let index = min(offset / TagPageAnchors.stride, anchors.count - 1)
        return index > 0 ? (anchors[index], index * TagPageAnchors.stride) : nil
    }

    /// `text` with the `LIKE` wildcards escaped.
    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    /// The visible history rows of a repository, newest first (`lifetime_start_ms DESC, name`), without the
    /// rows that ended before the time-machine window.
    ///
    /// A page is chosen on the tag table alone (its indexes cover the filters and the order), and only the
    /// page's rows are joined to their manifests. Alive rows are read from an index of the rows that never
    /// end plus the few that end later; deep pages of the whole history start from the nearest
    /// `TagPageAnchors` anchor.
    public func tagHistory(repositoryID: Int64, _ query: TagHistoryQuery) async throws -> [TagHistoryRow] {
        let now = Self.nowMs()
        let nameFilter: SQLQueryString
        switch query.name {
        case .any: nameFilter = ""
        case .equals(let name): nameFilter = "AND t.name = \(bind: name)"
        case .contains(let text):
            let like: SQLQueryString = pool.engine == .postgres ? "ILIKE" : "LIKE"
            nameFilter = "AND t.name \(like) \(bind: "%" + Self.escapeLike(text) + "%") ESCAPE '\\'"
        }
        let page: SQLQueryString
        if query.onlyActive {
            let visible: SQLQueryString = "t.repository_id = \(bind: repositoryID) AND t.hidden = FALSE"
            let depth = query.offset.addingReportingOverflow(query.limit).overflow ? Int.max : query.offset + query.limit
            // SQLite, which keeps no statistics unless told to, would walk the whole history's index for
            // both halves; it is told which index each half is for.
            let (open, ending): (SQLQueryString, SQLQueryString) = pool.engine == .sqlite
                ? ("INDEXED BY tag_open_page", "INDEXED BY tag_repository_end") : ("", "")
            page = """
                SELECT x.id FROM (
                    SELECT * FROM (SELECT t.id, t.lifetime_start_ms, t.name FROM tag t \(open)
                                   WHERE \(visible) AND t.lifetime_end_ms IS NULL \(nameFilter) ORDER BY \(Self.historyOrder) LIMIT \(bind: depth)) a
                    UNION ALL
                    SELECT * FROM (SELECT t.id, t.lifetime_start_ms, t.name FROM tag t \(ending)
                                   WHERE \(visible) AND t.lifetime_end_ms > \(bind: now) \(nameFilter) ORDER BY \(Self.historyOrder) LIMIT \(bind: depth)) b
                ) x ORDER BY x.lifetime_start_ms DESC, x.name, x.id DESC LIMIT \(bind: query.limit) OFFSET \(bind: query.offset)
                """
        } else {
            let horizon = now - query.windowSeconds * 1000
            var seek: SQLQueryString = ""
            var offset = query.offset
            if query.name == .any, query.offset >= TagPageAnchors.stride,
               let (anchor, position) = try await pageAnchor(repositoryID: repositoryID, windowSeconds: query.windowSeconds, version: query.tagVersion,
                                                             offset: query.offset, now: now) {
                seek = """
                    AND t.lifetime_start_ms <= \(bind: anchor.start) AND (t.lifetime_start_ms < \(bind: anchor.start) OR t.name > \(bind: anchor.name)
                    OR (t.name = \(bind: anchor.name) AND t.id <= \(bind: anchor.id)))
                    """
                offset -= position
            }
            page = """
                SELECT t.id FROM tag t
                WHERE t.repository_id = \(bind: repositoryID) AND t.hidden = FALSE AND (t.lifetime_end_ms IS NULL OR t.lifetime_end_ms > \(bind: horizon))
                \(nameFilter) \(seek)
                ORDER BY \(Self.historyOrder) LIMIT \(bind: query.limit) OFFSET \(bind: offset)
                """
        }
        return try await all("""
            SELECT \(Self.tagHistoryColumns) FROM tag t JOIN manifest m ON m.id = t.manifest_id
            WHERE t.id IN (\(page)) ORDER BY \(Self.historyOrder)
            """, as: TagHistoryRow.self)
    }
}

extension MetadataReading {

    /// The child manifest digests of each of `manifestIDs` (for manifest lists).
    public func childDigests(of manifestIDs: [Int64]) async throws -> [Int64: [String]] {
        guard !manifestIDs.isEmpty else { return [:] }
        let rows = try await all("""
            SELECT c.manifest_id, m.digest FROM manifest_child c JOIN manifest m ON m.id = c.child_manifest_id
            WHERE c.manifest_id IN (\(SQLList(manifestIDs.map { SQLBind($0) }))) ORDER BY m.digest
            """, as: ChildDigestsRow.self)
        return Dictionary(grouping: rows, by: \.manifest_id).mapValues { $0.map(\.digest) }
    }

    /// The alive, visible row of tag `name`.
    public func aliveTag(repositoryID: Int64, name: String) async throws -> TagHistoryRow? {
        try await first("""
            SELECT \(MetadataStore.tagHistoryColumns) FROM tag t JOIN manifest m ON m.id = t.manifest_id
            WHERE t.repository_id = \(bind: repositoryID) AND t.name = \(bind: name) AND t.hidden = FALSE AND \(MetadataStore.alive(MetadataStore.nowMs()))
            """, as: TagHistoryRow.self)
    }

    /// A manifest of the repository that a tag may be restored to: reachable now, or pointed at by a tag
    /// row that ended within the time-machine window.
    public func restorableManifest(repositoryID: Int64, digest: String, windowSeconds: Int64) async throws -> ManifestRecord? {
        if let reachable = try await reachableManifest(repositoryID: repositoryID, digest: digest) { return reachable }
        let horizon = MetadataStore.nowMs() - windowSeconds * 1000
        return try await first("""
            SELECT \(MetadataStore.manifestColumns) FROM manifest m
            WHERE m.repository_id = \(bind: repositoryID) AND m.digest = \(bind: digest)
            AND EXISTS (SELECT 1 FROM tag t WHERE t.manifest_id = m.id AND t.lifetime_end_ms > \(bind: horizon))
            """, as: ManifestRecord.self)
    }

    /// Records in the repository that its tags changed (`tag_version`, which the page anchors of other
    /// nodes follow), and when, if `modifiedAt` is given (`last_modified_ms`).
    func noteTagChange(repositoryID: Int64, modifiedAt: Int64?, db: any SQLDatabase) async throws {
        let modified: SQLQueryString = modifiedAt.map { ", last_modified_ms = \(bind: $0)" } ?? ""
        try await db.raw("UPDATE repository SET tag_version = tag_version + 1 \(modified) WHERE id = \(bind: repositoryID)").run()
    }

    /// SQL expression: the value of manifest `manifestID`'s latest `quay.expires-after` label, if any.
    static func expiresAfterLabel(of manifestID: Int64) -> SQLQueryString {
        """
        (SELECT l.label_value FROM manifest_label ml JOIN label l ON l.id = ml.label_id
         WHERE ml.manifest_id = \(bind: manifestID) AND l.label_key = \(bind: MetadataStore.expiresAfterLabel) ORDER BY l.id DESC LIMIT 1)
        """
    }
}

extension StoreTransaction {
    /// Sets when the alive row `tag` ends, if it has not changed meanwhile. False when it has.
    public func setTagEnd(_ tag: TagHistoryRow, to endMs: Int64?) async throws -> Bool {
        try await pool.transaction { db in
            let previous: SQLQueryString = tag.endMs.map { "lifetime_end_ms = \(bind: $0)" } ?? "lifetime_end_ms IS NULL"
            let updated = try await db.raw("""
                UPDATE tag SET lifetime_end_ms = \(bind: endMs) WHERE id = \(bind: tag.id) AND \(previous) RETURNING repository_id
                """).first()
            guard let updated else { return false }
            try await noteTagChange(repositoryID: try updated.decode(column: "repository_id", as: Int64.self), modifiedAt: nil, db: db)
            return true
        }
    }

    /// Points tag `name` at `manifestID`, keeping the old row in the history. A `reversion` (a restore)
    /// is marked as such and ignores the manifest's expiration label; any other new row ends when the
    /// label says. `pusherID` is who moved it.
    public func moveTag(repositoryID: Int64, name: String, manifestID: Int64, reversion: Bool, pusherID: Int64? = nil) async throws -> TagMove {
        try await pool.transaction { db in
            let now = MetadataStore.nowMs()
            if pool.engine == .postgres {
                try await db.raw("SELECT id FROM repository WHERE id = \(bind: repositoryID) FOR UPDATE").run()
            }
            // The alive row and the new manifest's expiration label, in one statement.
            let row = try await db.raw("""
                SELECT c.digest, c.manifest_id, \(MetadataStore.expiresAfterLabel(of: manifestID)) AS label_value
                FROM (SELECT 1 AS one) o LEFT JOIN (
                    SELECT m.digest, t.manifest_id FROM tag t JOIN manifest m ON m.id = t.manifest_id
                    WHERE t.repository_id = \(bind: repositoryID) AND t.name = \(bind: name) AND t.hidden = FALSE AND \(MetadataStore.alive(now))
                ) c ON 1 = 1
                """).first(decoding: CurrentTagRow.self, with: decoder)
            let currentDigest = row?.digest
            if row?.manifest_id == manifestID, !reversion { return .unchanged }
            let end = reversion ? nil : row?.label_value.flatMap(LabelDuration.seconds).map { now + $0 * 1000 }
            try await retargetTag(repositoryID: repositoryID, name: name, manifestID: manifestID, hasAliveRow: currentDigest != nil,
                                  now: now, end: end, reversion: reversion, pusherID: pusherID, db: db)
            try await noteTagChange(repositoryID: repositoryID, modifiedAt: now, db: db)
            return currentDigest.map { .moved(from: $0) } ?? .created
        }
    }

    /// Makes every alive, visible tag pointing at the manifest end `seconds` after it started
    /// (what the `quay.expires-after` label does).
    public func expireTags(ofManifest manifestID: Int64, secondsAfterStart seconds: Int64) async throws {
        try await pool.transaction { db in
            try await db.raw("""
                UPDATE tag SET lifetime_end_ms = lifetime_start_ms + \(bind: seconds * 1000)
                WHERE manifest_id = \(bind: manifestID) AND hidden = FALSE
                AND (lifetime_end_ms IS NULL OR lifetime_end_ms > \(bind: MetadataStore.nowMs()))
                """).run()
            let repositoryID = try await db.raw("SELECT repository_id FROM manifest WHERE id = \(bind: manifestID)")
                .first(decodingColumn: "repository_id", as: Int64.self)
            if let repositoryID { try await noteTagChange(repositoryID: repositoryID, modifiedAt: nil, db: db) }
        }
    }
}

private struct ChildDigestsRow: Decodable { let manifest_id: Int64; let digest: String }

/// A tag's alive row (if any) and the expiration label of the manifest it is to point at.
private struct CurrentTagRow: Decodable { let digest: String?; let manifest_id: Int64?; let label_value: String? }
