import Foundation
import SQLKit

/// Which repositories a listing shows.
public struct RepositoryListFilter: Sendable {
    /// The caller, whose own namespace and grants (direct, team, org-admin) are visible; nil: anonymous.
    public var viewerID: Int64?
    /// Include every public repository (and, for a signed-in viewer, those of protected namespaces).
    public var includePublic: Bool
    /// Every repository is visible (superusers with full access).
    public var everything: Bool
    /// Only repositories of this namespace.
    public var namespaceID: Int64?
    /// Only repositories the viewer starred.
    public var starredOnly: Bool

    public init(viewerID: Int64?, includePublic: Bool, everything: Bool, namespaceID: Int64?, starredOnly: Bool) {
        self.viewerID = viewerID
        self.includePublic = includePublic
        self.everything = everything
        self.namespaceID = namespaceID
        self.starredOnly = starredOnly
    }
}

/// A repository as the listing shows it.
public struct RepositoryListEntry: Sendable, Equatable, Decodable {
    public let id: Int64
    public let namespace: String
    public let name: String
    public let description: String?
    public let visibility: Visibility
    public let kind: String
    public let state: RepositoryState
    public let starred: Int
    /// When its newest alive tag was set (ms), if it has one.
    public let lastModifiedMs: Int64?
    /// Pulls and pushes over the last seven days.
    public let popularity: Int64

    enum CodingKeys: String, CodingKey {
        case id, namespace, name, description, visibility, kind, state, starred, popularity
        case lastModifiedMs = "last_modified_ms"
    }
}

extension MetadataStore {
    /// The conditions selecting what `filter` may see; nil when it may see nothing.
    static func visibility(_ filter: RepositoryListFilter) -> [SQLQueryString]? {
        let viewer = filter.viewerID ?? -1
        var visible: [SQLQueryString] = []
        if filter.everything { visible.append("TRUE") }
        if filter.includePublic {
            visible.append("r.visibility = 'public' OR a.namespace_visibility = 'public'")
            if filter.viewerID != nil { visible.append("a.namespace_visibility = 'protected'") }
        }
        if filter.viewerID != nil { visible.append(holdsRole(viewer: viewer)) }
        guard !visible.isEmpty else { return nil }
        var conditions: [SQLQueryString] = ["r.state <> 3"]
        conditions.append("(" + visible.map { "(" + $0 + ")" }.joined(separator: " OR ") + ")")
        if let namespace = filter.namespaceID { conditions.append("r.namespace_id = \(bind: namespace)") }
        if filter.starredOnly {
            conditions.append("EXISTS (SELECT 1 FROM star s WHERE s.repository_id = r.id AND s.account_id = \(bind: viewer))")
        }
        return conditions
    }
}

extension MetadataReading {
    /// A page of the repositories `filter` selects, in id order after `afterID`.
    public func listRepositories(_ filter: RepositoryListFilter, afterID: Int64, limit: Int) async throws -> [RepositoryListEntry] {
        guard var conditions = MetadataStore.visibility(filter) else { return [] }
        conditions.append("r.id > \(bind: afterID)")
        return try await listEntries(filter, where: conditions, order: "r.id", limit: limit, offset: 0)
    }

    /// A page of the visible repositories whose name or description contains `text` (or, for
    /// `namespace/text`, the namespace's repositories whose name does), most popular first.
    public func searchRepositories(_ filter: RepositoryListFilter, text: String, offset: Int, limit: Int) async throws -> [RepositoryListEntry] {
        guard var conditions = MetadataStore.visibility(filter) else { return [] }
        let like: SQLQueryString = pool.engine == .postgres ? "ILIKE" : "LIKE"
        if let slash = text.firstIndex(of: "/") {
            let pattern = "%" + MetadataStore.escapeLike(String(text[text.index(after: slash)...])) + "%"
            conditions.append("a.username = \(bind: String(text[..<slash]))")
            conditions.append("r.name \(like) \(bind: pattern) ESCAPE '\\'")
        } else if !text.isEmpty {
            let pattern = "%" + MetadataStore.escapeLike(text) + "%"
            conditions.append("(r.name \(like) \(bind: pattern) ESCAPE '\\' OR r.description \(like) \(bind: pattern) ESCAPE '\\')")
        }
        return try await listEntries(filter, where: conditions, order: "popularity DESC, r.id", limit: limit, offset: offset)
    }

    /// The listing rows (stars, last change, popularity) of the repositories matching `conditions`.
    fileprivate func listEntries(_ filter: RepositoryListFilter, where conditions: [SQLQueryString], order: SQLQueryString,
                             limit: Int, offset: Int) async throws -> [RepositoryListEntry] {
        let viewer = filter.viewerID ?? -1
        let weekAgo = RepositoryActivity.day(Date().addingTimeInterval(-6 * 86_400))
        let now = MetadataStore.nowMs()
        return try await all("""
            SELECT r.id, a.username AS namespace, r.name, r.description, \(MetadataStore.effectiveVisibility) AS visibility, r.kind, r.state,
                   CASE WHEN EXISTS (SELECT 1 FROM star s WHERE s.repository_id = r.id AND s.account_id = \(bind: viewer)) THEN 1 ELSE 0 END AS starred,
                   (SELECT MAX(t.lifetime_start_ms) FROM tag t WHERE t.repository_id = r.id AND t.hidden = FALSE AND \(MetadataStore.alive(now))) AS last_modified_ms,
                   CAST((SELECT COALESCE(SUM(c.count), 0) FROM repository_action_count c WHERE c.repository_id = r.id AND c.day >= \(bind: weekAgo)) AS BIGINT) AS popularity
            FROM repository r JOIN account a ON a.id = r.namespace_id
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY \(order) LIMIT \(bind: limit) OFFSET \(bind: offset)
            """, as: RepositoryListEntry.self)
    }
}

extension Array where Element == SQLQueryString {
    /// The fragments joined by `separator`.
    func joined(separator: String) -> SQLQueryString {
        var result: SQLQueryString = ""
        for (index, fragment) in enumerated() {
            if index > 0 { result.appendLiteral(separator) }
            result.appendInterpolation(fragment)
        }
        return result
    }
}
