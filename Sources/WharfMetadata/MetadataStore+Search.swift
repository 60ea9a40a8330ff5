import Foundation
import SQLKit

/// A team found by a search, with its organization.
public struct TeamMatch: Sendable, Equatable, Decodable {
    public let id: Int64
    public let name: String
    public let organization: String
    public let organizationEmail: String?

    enum CodingKeys: String, CodingKey {
        case id, name, organization
        case organizationEmail = "organization_email"
    }
}

extension MetadataReading {
    /// `LIKE` (SQLite, case-insensitive for ASCII) or `ILIKE` (PostgreSQL) with `%text%`.
    fileprivate func contains(_ column: SQLQueryString, _ text: String) -> SQLQueryString {
        let like: SQLQueryString = pool.engine == .postgres ? "ILIKE" : "LIKE"
        return "\(column) \(like) \(bind: "%" + MetadataStore.escapeLike(text) + "%") ESCAPE '\\'"
    }

    /// Teams whose name contains `text`, of which `accountID` is a member or whose organization it
    /// administers.
    public func searchTeams(_ text: String, accountID: Int64, limit: Int) async throws -> [TeamMatch] {
        try await all("""
            SELECT t.id, t.name, o.username AS organization, o.email AS organization_email FROM team t
            JOIN account o ON o.id = t.organization_id
            WHERE \(contains("t.name", text)) AND (
                EXISTS (SELECT 1 FROM team_member m WHERE m.team_id = t.id AND m.account_id = \(bind: accountID))
                OR EXISTS (SELECT 1 FROM team a JOIN team_member m ON m.team_id = a.id
                           WHERE a.organization_id = t.organization_id AND a.role = 'admin' AND m.account_id = \(bind: accountID)))
            ORDER BY o.username, t.name LIMIT \(bind: limit)
            """, as: TeamMatch.self)
    }

    /// Robots whose short name contains `text`, owned by `accountID` or by an organization it administers.
    public func searchRobots(_ text: String, accountID: Int64, limit: Int) async throws -> [AccountRecord] {
        try await all("""
            SELECT \(MetadataStore.accountColumns) FROM account WHERE id IN (
                SELECT r.account_id FROM robot r JOIN account a ON a.id = r.account_id
                WHERE \(contains("a.username", text)) AND (r.owner_id = \(bind: accountID)
                    OR EXISTS (SELECT 1 FROM team t JOIN team_member m ON m.team_id = t.id
                               WHERE t.organization_id = r.owner_id AND t.role = 'admin' AND m.account_id = \(bind: accountID))))
            ORDER BY username LIMIT \(bind: limit)
            """, as: AccountRecord.self)
    }

    /// Users and organizations whose name contains `text`.
    public func searchNamespaces(_ text: String, limit: Int) async throws -> [AccountRecord] {
        try await all("""
            SELECT \(MetadataStore.accountColumns) FROM account WHERE is_robot = FALSE AND \(contains("username", text))
            ORDER BY username LIMIT \(bind: limit)
            """, as: AccountRecord.self)
    }
}
