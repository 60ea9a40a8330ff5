import Foundation
import SQLKit

/// A member's own role in a team (Portus): `viewer` pulls, `contributor` pushes, `owner` manages the
/// team. Teams made with the Quay API have one role for all their members instead.
public enum MemberRole: String, Sendable, Codable, Comparable, CaseIterable {
    case viewer
    case contributor
    case owner

    private var rank: Int {
        switch self {
        case .viewer: return 0
        case .contributor: return 1
        case .owner: return 2
        }
    }

    public static func < (lhs: MemberRole, rhs: MemberRole) -> Bool { lhs.rank < rhs.rank }
}

/// A place in a team: the member, its own role (nil in teams whose role is the team's), and when it
/// was given and last changed.
public struct TeamMemberRecord: Sendable, Equatable, Decodable {
    public let id: Int64
    public let teamId: Int64
    public let accountId: Int64
    public let role: MemberRole?
    public let createdMs: Int64
    public let updatedMs: Int64

    enum CodingKeys: String, CodingKey {
        case id
        case teamId = "team_id"
        case accountId = "account_id"
        case role
        case createdMs = "created_ms"
        case updatedMs = "updated_ms"
    }
}

extension MetadataStore {
    static let teamMemberColumns: SQLQueryString = "id, team_id, account_id, role, created_ms, updated_ms"

    /// The place with id `id`.
    public func teamMember(id: Int64) async throws -> TeamMemberRecord? {
        try await first("SELECT \(Self.teamMemberColumns) FROM team_member WHERE id = \(bind: id)", as: TeamMemberRecord.self)
    }

    /// The account's place in the team.
    public func teamMember(teamID: Int64, accountID: Int64) async throws -> TeamMemberRecord? {
        try await first("SELECT \(Self.teamMemberColumns) FROM team_member WHERE team_id = \(bind: teamID) AND account_id = \(bind: accountID)",
                        as: TeamMemberRecord.self)
    }

    /// Every place in the team, oldest first.
    public func teamMemberRecords(teamID: Int64) async throws -> [TeamMemberRecord] {
        try await all("SELECT \(Self.teamMemberColumns) FROM team_member WHERE team_id = \(bind: teamID) ORDER BY id", as: TeamMemberRecord.self)
    }

    /// Puts the account in the team with its own role; nil when it is already there.
    public func addTeamMember(teamID: Int64, accountID: Int64, role: MemberRole) async throws -> TeamMemberRecord? {
        try await pool.transaction { db in
            let now = Self.nowMs()
            let added = try await db.raw("""
                INSERT INTO team_member (team_id, account_id, role, created_ms, updated_ms)
                VALUES (\(bind: teamID), \(bind: accountID), \(bind: role.rawValue), \(bind: now), \(bind: now))
                ON CONFLICT DO NOTHING RETURNING \(Self.teamMemberColumns)
                """).first(decoding: TeamMemberRecord.self, with: decoder)
            if added != nil {
                try await db.raw("DELETE FROM team_member_invite WHERE team_id = \(bind: teamID) AND account_id = \(bind: accountID)").run()
            }
            return added
        }
    }

    /// Gives the place a new role.
    public func setTeamMemberRole(id: Int64, _ role: MemberRole) async throws -> TeamMemberRecord? {
        try await pool.transaction { db in
            try await db.raw("""
                UPDATE team_member SET role = \(bind: role.rawValue), updated_ms = \(bind: Self.nowMs()) WHERE id = \(bind: id)
                RETURNING \(Self.teamMemberColumns)
                """).first(decoding: TeamMemberRecord.self, with: decoder)
        }
    }

    /// Takes the place away; false when it was not there.
    @discardableResult
    public func removeTeamMember(id: Int64) async throws -> Bool {
        try await deleteReturning("DELETE FROM team_member WHERE id = \(bind: id) RETURNING id")
    }

    /// The account's own role in the team that owns namespace `namespaceID`, if it is in it.
    public func ownerTeamRole(namespaceID: Int64, accountID: Int64) async throws -> MemberRole? {
        struct Row: Decodable { let role: MemberRole? }
        return try await first("""
            SELECT m.role FROM account n JOIN team_member m ON m.team_id = n.owner_team_id
            WHERE n.id = \(bind: namespaceID) AND m.account_id = \(bind: accountID)
            """, as: Row.self).map { $0.role ?? .viewer }
    }

    /// How many places in the team hold `role`.
    public func teamMemberCount(teamID: Int64, role: MemberRole) async throws -> Int {
        try await pool.withDatabase { db in
            try await db.raw("SELECT COUNT(*) AS n FROM team_member WHERE team_id = \(bind: teamID) AND role = \(bind: role.rawValue)")
                .first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }
}

extension MetadataStore {
    /// Renames a team and changes its description (nil leaves either as it is); a taken name is a `conflict`.
    public func changeTeam(id: Int64, name: String?, description: String?) async throws -> TeamRecord? {
        try await pool.transaction { db in
            guard let current = try await db.raw("SELECT \(Self.teamColumns) FROM team t WHERE t.id = \(bind: id)")
                .first(decoding: TeamRecord.self, with: decoder) else { return nil }
            if let name, name != current.name {
                let taken = try await db.raw("SELECT id FROM team WHERE organization_id = \(bind: current.organizationId) AND name = \(bind: name)").first()
                guard taken == nil else { throw MetadataError.conflict("has already been taken") }
            }
            return try await db.raw("""
                UPDATE team SET name = \(bind: name ?? current.name), description = \(bind: description ?? current.description),
                updated_ms = \(bind: Self.nowMs()) WHERE id = \(bind: id) RETURNING id, organization_id, name, role, description, created_ms, updated_ms
                """).first(decoding: TeamRecord.self, with: decoder)
        }
    }

    /// Hands every namespace that team `fromTeamID` owns to team `toTeamID`.
    public func moveNamespaces(fromTeam fromTeamID: Int64, toTeam toTeamID: Int64) async throws {
        try await run("UPDATE account SET owner_team_id = \(bind: toTeamID), updated_ms = \(bind: Self.nowMs()) WHERE owner_team_id = \(bind: fromTeamID)")
    }

    /// The organization namespaces team `teamID` owns.
    public func namespaces(ownedBy teamID: Int64) async throws -> [AccountRecord] {
        try await all("SELECT \(Self.accountColumns) FROM account WHERE owner_team_id = \(bind: teamID) ORDER BY id", as: AccountRecord.self)
    }
}
