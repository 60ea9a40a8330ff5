import Foundation
import SQLKit

/// How a sorted list is cut into a page: which column, which direction, where the page starts and how
/// long it is (nil: the whole list).
public struct PageRequest: Sendable {
    /// A column the list may be sorted on (each list maps its own names to these).
    public let column: String
    public let ascending: Bool
    public let offset: Int
    public let limit: Int?

    public init(column: String, ascending: Bool, offset: Int, limit: Int?) {
        self.column = column
        self.ascending = ascending
        self.offset = offset
        self.limit = limit
    }

    /// Columns of text: PostgreSQL sorts them by bytes here, as SQLite does (its own default is the
    /// locale's order, which would give the two databases different pages).
    static let textColumns: Set<String> = ["username", "email", "display_name", "description", "name", "namespace_visibility"]

    /// `ORDER BY` the column, then by id in the same direction, then `LIMIT`/`OFFSET`. The column is one
    /// of the list's own names, never the caller's text. A column that may be NULL sorts the same way on
    /// both databases: an account's `updated_ms` (NULL until it first changes) as its creation time, which
    /// is what the lists show, and other NULLs first in ascending order (PostgreSQL would put them last).
    func clause(_ alias: String, engine: SQLEngine) -> SQLQueryString {
        let direction = ascending ? "ASC" : "DESC"
        var key = column == "updated_ms" ? "COALESCE(\(alias).updated_ms, \(alias).created_ms)" : "\(alias).\(column)"
        if engine == .postgres, Self.textColumns.contains(column) { key += " COLLATE \"C\"" }
        var clause: SQLQueryString = "ORDER BY "
        if column != "id" { clause.appendInterpolation("\(unsafeRaw: key) IS NULL \(unsafeRaw: ascending ? "DESC" : "ASC"), " as SQLQueryString) }
        clause.appendInterpolation("\(unsafeRaw: key) \(unsafeRaw: direction), \(unsafeRaw: alias).id \(unsafeRaw: direction)" as SQLQueryString)
        if let limit { clause.appendInterpolation(" LIMIT \(bind: limit) OFFSET \(bind: offset)" as SQLQueryString) }
        return clause
    }
}

/// A page of a list and the size of the whole list.
public struct Page<Item: Sendable>: Sendable {
    public let items: [Item]
    public let total: Int
}

/// A repository as a list shows it: its namespace, times, description, stars and tag count.
public struct RepositoryOverview: Sendable, Equatable, Decodable {
    public let id: Int64
    public let name: String
    public let namespaceId: Int64
    public let namespaceName: String
    public let description: String?
    public let createdMs: Int64
    public let lastModifiedMs: Int64
    public let stars: Int
    public let tagCount: Int

    enum CodingKeys: String, CodingKey {
        case id, name, description, stars
        case namespaceId = "namespace_id"
        case namespaceName = "namespace_name"
        case createdMs = "created_ms"
        case lastModifiedMs = "last_modified_ms"
        case tagCount = "tag_count"
    }
}

/// An alive, visible tag with the manifest it points at and who pushed it.
public struct TagOverview: Sendable, Equatable, Decodable {
    public let id: Int64
    public let name: String
    public let repositoryId: Int64
    public let pusherId: Int64?
    public let pusherName: String?
    public let manifestId: Int64
    public let digest: String
    public let mediaType: String
    public let manifestBytes: String
    public let layersSize: Int64
    public let startMs: Int64
    public let scanState: Int

    enum CodingKeys: String, CodingKey {
        case id, name, digest
        case repositoryId = "repository_id"
        case pusherId = "pusher_id"
        case pusherName = "pusher_name"
        case manifestId = "manifest_id"
        case mediaType = "media_type"
        case manifestBytes = "manifest_bytes"
        case layersSize = "layers_size"
        case startMs = "lifetime_start_ms"
        case scanState = "scan_state"
    }
}

extension MetadataStore {
    static func repositoryOverviewSelect(_ now: Int64) -> SQLQueryString {
        """
        SELECT r.id, r.name, r.namespace_id, a.username AS namespace_name, r.description, r.created_ms, r.last_modified_ms,
               (SELECT COUNT(*) FROM star s WHERE s.repository_id = r.id) AS stars,
               (SELECT COUNT(*) FROM tag t WHERE t.repository_id = r.id AND t.hidden = FALSE AND \(alive(now))) AS tag_count
        FROM repository r JOIN account a ON a.id = r.namespace_id
        """
    }

    static let tagOverviewSelect: SQLQueryString = """
        SELECT t.id, t.name, t.repository_id, t.pusher_id, p.username AS pusher_name, t.manifest_id, m.digest, m.media_type, m.manifest_bytes,
               m.layers_size, t.lifetime_start_ms, m.scan_state
        FROM tag t JOIN manifest m ON m.id = t.manifest_id LEFT JOIN account p ON p.id = t.pusher_id
        """
}

extension MetadataReading {
    /// A page of the user accounts (not organizations or robots).
    public func userPage(_ page: PageRequest) async throws -> Page<AccountRecord> {
        let filter: SQLQueryString = "a.is_organization = FALSE AND a.is_robot = FALSE"
        return Page(items: try await all("SELECT \(MetadataStore.accountColumns(of: "a")) FROM account a WHERE \(filter) \(page.clause("a", engine: pool.engine))", as: AccountRecord.self),
                    total: try await count("SELECT COUNT(*) AS n FROM account a WHERE \(filter)"))
    }

    /// A page of the teams of the organization `organizationID`; with `memberID`, only those it is in.
    public func teamPage(organizationID: Int64, memberID: Int64?, _ page: PageRequest) async throws -> Page<TeamRecord> {
        var condition: SQLQueryString = "t.organization_id = \(bind: organizationID)"
        if let memberID {
            condition.appendInterpolation(" AND EXISTS (SELECT 1 FROM team_member m WHERE m.team_id = t.id AND m.account_id = \(bind: memberID))" as SQLQueryString)
        }
        return Page(items: try await all("SELECT \(MetadataStore.teamColumns) FROM team t WHERE \(condition) \(page.clause("t", engine: pool.engine))", as: TeamRecord.self),
                    total: try await count("SELECT COUNT(*) AS n FROM team t WHERE \(condition)"))
    }

    /// A page of the repositories `filter` lets its viewer see.
    public func repositoryPage(_ filter: RepositoryListFilter, _ page: PageRequest) async throws -> Page<RepositoryOverview> {
        guard let conditions = MetadataStore.visibility(filter) else { return Page(items: [], total: 0) }
        let condition = conditions.joined(separator: " AND ")
        return Page(items: try await all("\(MetadataStore.repositoryOverviewSelect(MetadataStore.nowMs())) WHERE \(condition) \(page.clause("r", engine: pool.engine))",
                                         as: RepositoryOverview.self),
                    total: try await count("SELECT COUNT(*) AS n FROM repository r JOIN account a ON a.id = r.namespace_id WHERE \(condition)"))
    }

    /// The repository `id` as a list shows it.
    public func repositoryOverview(id: Int64) async throws -> RepositoryOverview? {
        try await first("\(MetadataStore.repositoryOverviewSelect(MetadataStore.nowMs())) WHERE r.id = \(bind: id) AND r.state <> 3", as: RepositoryOverview.self)
    }

    /// A page of every alive, visible tag of every repository.
    public func tagPage(_ page: PageRequest) async throws -> Page<TagOverview> {
        let condition: SQLQueryString = "t.hidden = FALSE AND \(MetadataStore.alive(MetadataStore.nowMs()))"
        return Page(items: try await all("\(MetadataStore.tagOverviewSelect) WHERE \(condition) \(page.clause("t", engine: pool.engine))", as: TagOverview.self),
                    total: try await count("SELECT COUNT(*) AS n FROM tag t WHERE \(condition)"))
    }

    /// The repository's alive, visible tags in id order.
    public func tagOverviews(repositoryID: Int64) async throws -> [TagOverview] {
        try await all("""
            \(MetadataStore.tagOverviewSelect) WHERE t.repository_id = \(bind: repositoryID) AND t.hidden = FALSE AND \(MetadataStore.alive(MetadataStore.nowMs()))
            ORDER BY t.id
            """, as: TagOverview.self)
    }

    /// The alive, visible tag row `id`.
    public func tagOverview(id: Int64) async throws -> TagOverview? {
        try await first("\(MetadataStore.tagOverviewSelect) WHERE t.id = \(bind: id) AND t.hidden = FALSE AND \(MetadataStore.alive(MetadataStore.nowMs()))",
                        as: TagOverview.self)
    }

    func count(_ query: SQLQueryString) async throws -> Int {
        try await pool.withDatabase { db in try await db.raw(query).first(decodingColumn: "n", as: Int.self) ?? 0 }
    }
}
