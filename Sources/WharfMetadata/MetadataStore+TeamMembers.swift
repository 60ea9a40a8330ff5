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
}

extension MetadataReading {
    /// The place with id `id`.
    public func teamMember(id: Int64) async throws -> TeamMemberRecord? {
        try await first("SELECT \(MetadataStore.teamMemberColumns) FROM team_member WHERE id = \(bind: id)", as: TeamMemberRecord.self)
    }

    /// The account's place in the team.
    public func teamMember(teamID: Int64, accountID: Int64) async throws -> TeamMemberRecord? {
        try await first("SELECT \(MetadataStore.teamMemberColumns) FROM team_member WHERE team_id = \(bind: teamID) AND account_id = \(bind: accountID)",
                        as: TeamMemberRecord.self)
    }

    /// The place `id`, with its team locked on PostgreSQL so that concurrent changes to the team's owners
    /// wait for each other (SQLite's writers are serialised already).
    fileprivate func lockedMember(id: Int64, db: any SQLDatabase) async throws -> TeamMemberRecord? {
        if pool.engine == .postgres {
            try await db.raw("SELECT id FROM team WHERE id = (SELECT team_id FROM team_member WHERE id = \(bind: id)) FOR UPDATE").run()
        }
        return try await db.raw("SELECT \(MetadataStore.teamMemberColumns) FROM team_member WHERE id = \(bind: id)")
            .first(decoding: TeamMemberRecord.self, with: decoder)
    }

    fileprivate func requireAnotherOwner(besides member: TeamMemberRecord, db: any SQLDatabase) async throws {
        guard member.role == .owner else { return }
        let owners = try await db.raw("SELECT COUNT(*) AS n FROM team_member WHERE team_id = \(bind: member.teamId) AND role = 'owner'")
            .first(decodingColumn: "n", as: Int.self) ?? 0
        if owners <= 1 { throw MetadataError.conflict("only owner") }
    }

    /// The account's own role in the team that owns namespace `namespaceID`, if it is in it.
    public func ownerTeamRole(namespaceID: Int64, accountID: Int64) async throws -> MemberRole? {
        return try await first("""
            SELECT m.role FROM account n JOIN team_member m ON m.team_id = n.owner_team_id
            WHERE n.id = \(bind: namespaceID) AND m.account_id = \(bind: accountID)
            """, as: OwnerTeamRoleRow.self).map { $0.role ?? .viewer }
    }
}

extension StoreTransaction {
    /// Puts the account in the team with its own role; nil when it is already there.
    public func addTeamMember(teamID: Int64, accountID: Int64, role: MemberRole) async throws -> TeamMemberRecord? {
        try await pool.transaction { db in
            let now = MetadataStore.nowMs()
            let added = try await db.raw("""
                INSERT INTO team_member (team_id, account_id, role, created_ms, updated_ms)
                VALUES (\(bind: teamID), \(bind: accountID), \(bind: role.rawValue), \(bind: now), \(bind: now))
                ON CONFLICT DO NOTHING RETURNING \(MetadataStore.teamMemberColumns)
                """).first(decoding: TeamMemberRecord.self, with: decoder)
            if added != nil {
                try await db.raw("DELETE FROM team_member_invite WHERE team_id = \(bind: teamID) AND account_id = \(bind: accountID)").run()
            }
            return added
        }
    }

    /// Gives the place a new role; a `conflict` when it would take the team's only owner away.
    public func setTeamMemberRole(id: Int64, _ role: MemberRole) async throws -> TeamMemberRecord? {
        try await pool.transaction { db in
            guard let member = try await lockedMember(id: id, db: db) else { return nil }
            if role != .owner { try await requireAnotherOwner(besides: member, db: db) }
            return try await db.raw("""
                UPDATE team_member SET role = \(bind: role.rawValue), updated_ms = \(bind: MetadataStore.nowMs()) WHERE id = \(bind: id)
                RETURNING \(MetadataStore.teamMemberColumns)
                """).first(decoding: TeamMemberRecord.self, with: decoder)
        }
    }

    /// Takes the place away; false when it was not there, a `conflict` when it is the team's only owner.
    @discardableResult
    public func removeTeamMember(id: Int64) async throws -> Bool {
        try await pool.transaction { db in
            guard let member = try await lockedMember(id: id, db: db) else { return false }
            try await requireAnotherOwner(besides: member, db: db)
            try await db.raw("DELETE FROM team_member WHERE id = \(bind: id)").run()
            return true
        }
    }

    /// Creates team `name` of the organization with `ownerID` as its first member, holding `ownerRole`; nil
    /// when the organization has a team of that name already.
    public func createTeam(organizationID: Int64, name: String, role: TeamRole, description: String, ownerID: Int64,
                           ownerRole: MemberRole) async throws -> TeamRecord? {
        try await pool.transaction { db in
            let now = MetadataStore.nowMs()
            guard let team = try await db.raw("""
                INSERT INTO team (organization_id, name, role, description, created_ms, updated_ms)
                VALUES (\(bind: organizationID), \(bind: name), \(bind: role.rawValue), \(bind: description), \(bind: now), \(bind: now))
                ON CONFLICT (organization_id, name) DO NOTHING RETURNING id, organization_id, name, role, description, created_ms, updated_ms
                """).first(decoding: TeamRecord.self, with: decoder) else { return nil }
            try await db.raw("""
                INSERT INTO team_member (team_id, account_id, role, created_ms, updated_ms)
                VALUES (\(bind: team.id), \(bind: ownerID), \(bind: ownerRole.rawValue), \(bind: now), \(bind: now))
                """).run()
            return team
        }
    }
}

private struct OwnerTeamRoleRow: Decodable { let role: MemberRole? }
