import Foundation
import SQLKit

/// Which namespaces (users and organizations) a list shows: all of them, or those a viewer may see.
public struct NamespaceListFilter: Sendable {
    /// The viewer; nil with `everything`.
    public var viewerID: Int64?
    /// Every namespace (an administrator's list).
    public var everything: Bool

    public init(viewerID: Int64?, everything: Bool) {
        self.viewerID = viewerID
        self.everything = everything
    }
}

/// A namespace with the team it shows as its own: its owning team, or an organization's `owners` team
/// (none for a user's namespace).
public struct NamespaceListing: Sendable, Equatable {
    public let namespace: AccountRecord
    public let team: TeamRecord?

    public init(namespace: AccountRecord, team: TeamRecord?) {
        self.namespace = namespace
        self.team = team
    }
}

extension MetadataStore {
    /// The columns of a `NamespaceListing` (`a`, with its team as `t_…`), and the join that finds the team.
    static let namespaceListingSelect: SQLQueryString = """
        SELECT \(accountColumns(of: "a")), t.id AS t_id, t.organization_id AS t_organization_id, t.name AS t_name, t.role AS t_role,
               t.description AS t_description, t.created_ms AS t_created_ms, t.updated_ms AS t_updated_ms
        FROM account a LEFT JOIN team t ON t.id = COALESCE(a.owner_team_id,
            CASE WHEN a.is_organization THEN (SELECT o.id FROM team o WHERE o.organization_id = a.id AND o.name = 'owners') END)
        """

    /// The id of the organization the server keeps for `role` (see `systemOrganization`), remembered: such
    /// an organization is never deleted, so its id never changes.
    public func systemOrganizationID(role: String, name: String) async throws -> Int64 {
        if let id = systemOrganizationIDs.withLockedValue({ $0[role] }) { return id }
        let id = try await transaction { tx in try await tx.systemOrganization(role: role, name: name).id }
        systemOrganizationIDs.withLockedValue { $0[role] = id }
        return id
    }
}

extension MetadataReading {
    fileprivate func namespaceListings(_ query: SQLQueryString) async throws -> [NamespaceListing] {
        try await pool.withDatabase { db in
            try await db.raw(query).all().map { row in
                let team = try row.decode(column: "t_id", as: Int64?.self) == nil ? nil : try row.decode(model: TeamRecord.self, with: SQLRowDecoder(prefix: "t_"))
                return NamespaceListing(namespace: try row.decode(model: AccountRecord.self, with: decoder), team: team)
            }
        }
    }

    /// A page of the namespaces `filter` shows: users and organizations, not robots nor the server's own.
    public func namespacePage(_ filter: NamespaceListFilter, _ page: PageRequest) async throws -> Page<NamespaceListing> {
        var condition: SQLQueryString = "a.is_robot = FALSE AND a.system_role IS NULL"
        if !filter.everything {
            let viewer = filter.viewerID ?? -1
            condition.appendInterpolation("""
                 AND (a.namespace_visibility IN ('public', 'protected') OR a.id = \(bind: viewer)
                      OR EXISTS (SELECT 1 FROM team_member m WHERE m.team_id = a.owner_team_id AND m.account_id = \(bind: viewer))
                      OR EXISTS (SELECT 1 FROM team t JOIN team_member m ON m.team_id = t.id
                                 WHERE t.organization_id = a.id AND m.account_id = \(bind: viewer)))
                """ as SQLQueryString)
        }
        return Page(items: try await namespaceListings("\(MetadataStore.namespaceListingSelect) WHERE \(condition) \(page.clause("a", engine: pool.engine))"),
                    total: try await count("SELECT COUNT(*) AS n FROM account a WHERE \(condition)"))
    }

    /// The namespaces team `teamID` owns, or is a team of, in id order.
    public func namespaces(ofTeam teamID: Int64) async throws -> [NamespaceListing] {
        try await namespaceListings("""
            \(MetadataStore.namespaceListingSelect) WHERE a.owner_team_id = \(bind: teamID)
            OR a.id = (SELECT t.organization_id FROM team t JOIN account o ON o.id = t.organization_id
                       WHERE t.id = \(bind: teamID) AND o.system_role IS NULL)
            ORDER BY a.id
            """)
    }

    /// The organization namespaces team `teamID` owns.
    public func namespaces(ownedBy teamID: Int64) async throws -> [AccountRecord] {
        try await all("SELECT \(MetadataStore.accountColumns) FROM account WHERE owner_team_id = \(bind: teamID) ORDER BY id", as: AccountRecord.self)
    }
}

extension StoreTransaction {
    /// Hands every namespace that team `fromTeamID` owns to team `toTeamID`.
    public func moveNamespaces(fromTeam fromTeamID: Int64, toTeam toTeamID: Int64) async throws {
        try await run("UPDATE account SET owner_team_id = \(bind: toTeamID), updated_ms = \(bind: MetadataStore.nowMs()) WHERE owner_team_id = \(bind: fromTeamID)")
    }

    /// The organization the server keeps for `role`, created (named `name`, or `name` with a number when
    /// that is taken) the first time it is asked for.
    public func systemOrganization(role: String, name: String) async throws -> AccountRecord {
        if let existing = try await first("SELECT \(MetadataStore.accountColumns) FROM account WHERE system_role = \(bind: role)", as: AccountRecord.self) {
            return existing
        }
        for attempt in 0..<100 {
            let candidate = attempt == 0 ? name : "\(name)\(attempt)"
            do {
                return try await pool.transaction { db in
                    if let existing = try await db.raw("SELECT \(MetadataStore.accountColumns) FROM account WHERE system_role = \(bind: role)")
                        .first(decoding: AccountRecord.self, with: decoder) { return existing }
                    let created = try await insertAccount(db, username: candidate, email: nil, passwordHash: nil, organization: true)
                    return try await db.raw("UPDATE account SET system_role = \(bind: role) WHERE id = \(bind: created.id) RETURNING \(MetadataStore.accountColumns)")
                        .first(decoding: AccountRecord.self, with: decoder)!
                }
            } catch MetadataError.conflict {
                if let existing = try await first("SELECT \(MetadataStore.accountColumns) FROM account WHERE system_role = \(bind: role)", as: AccountRecord.self) {
                    return existing
                }
            }
        }
        throw MetadataError.conflict("no free name for the \(role) organization")
    }
}
