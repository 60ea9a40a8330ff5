import Foundation
import WharfMetadata

/// Portus's teams on Wharf's teams: each is a team of one organization the server keeps for them
/// (`portus-teams`), its members hold roles of their own (`viewer`, `contributor`, `owner`), and it
/// owns namespaces, where those roles decide what its members may do. Teams of other organizations
/// are Quay's, read-only here. Changes are logged with Portus's activity keys.
public struct PortusTeamService: Sendable {
    let store: MetadataStore
    /// Deletes the namespaces of a team deleted without an heir.
    let namespaces: NamespaceService

    /// `system_role` of the organization that holds Portus's teams, and the name it is created with.
    public static let organizationRole = "portus-teams"
    public static let organizationName = "portus-teams"

    public init(store: MetadataStore, namespaces: NamespaceService) {
        self.store = store
        self.namespaces = namespaces
    }

    /// The id of the organization that holds Portus's teams.
    public func organizationID() async throws -> Int64 {
        try await store.systemOrganizationID(role: Self.organizationRole, name: Self.organizationName)
    }

    /// The organization that holds Portus's teams (the audit log files Portus's team actions under it).
    private func organization() async throws -> AccountRecord? {
        try await store.account(id: organizationID())
    }

    /// Whether `team` is one of Portus's (not a Quay organization's, which Portus shows as hidden).
    public func isPortusTeam(_ team: TeamRecord) async throws -> Bool {
        try await team.organizationId == organizationID()
    }

    /// Portus's team named `name`.
    public func team(named name: String) async throws -> TeamRecord? {
        try await store.team(organizationID: organizationID(), name: name)
    }

    /// The problems with `name` as a team's name, by field (empty when it is fine).
    public func problems(name: String?, renaming current: TeamRecord? = nil) async throws -> [String: [String]] {
        guard let name, !name.trimmingCharacters(in: .whitespaces).isEmpty else { return ["name": ["can't be blank"]] }
        if name.count > 255 { return ["name": ["is too long (maximum is 255 characters)"]] }
        if name != current?.name, try await team(named: name) != nil { return ["name": ["has already been taken"]] }
        return [:]
    }

    /// Creates a team whose first owner is `owner`.
    public func create(name: String, description: String, owner: AccountRecord, by performer: Performer) async throws -> TeamRecord {
        let problems = try await problems(name: name)
        guard problems.isEmpty else { throw DomainError.invalidFields(problems) }
        let organization = try await organization()
        return try await store.transaction { tx in
            guard let team = try await tx.createTeam(organizationID: try await organizationID(), name: name, role: .member, description: description,
                                                     ownerID: owner.id, ownerRole: .owner) else {
                throw DomainError.invalidFields(["name": ["has already been taken"]])
            }
            try await tx.emit(.teamCreate, namespace: organization, by: performer, details: ["team": name, "owner": owner.username])
            return team
        }
    }

    /// Renames the team or changes its description; a change to nothing is refused (as Portus does).
    public func update(_ team: TeamRecord, name: String?, description: String?, by performer: Performer) async throws -> TeamRecord {
        let newName = name.flatMap { $0 == team.name ? nil : $0 }
        let newDescription = description.flatMap { $0 == team.description ? nil : $0 }
        guard newName != nil || newDescription != nil else { throw DomainError.invalidFields([:]) }
        if let newName {
            let problems = try await problems(name: newName, renaming: team)
            guard problems.isEmpty else { throw DomainError.invalidFields(problems) }
        }
        let organization = try await organization()
        do {
            return try await store.transaction { tx in
                guard let updated = try await tx.changeTeam(id: team.id, name: newName, description: newDescription) else { throw DomainError.notFound }
                if let newName {
                    try await tx.emit(.teamChangeName, namespace: organization, by: performer, details: ["old": team.name, "new": newName])
                }
                if let newDescription {
                    try await tx.emit(.teamChangeDescription, namespace: organization, by: performer,
                                      details: ["team": updated.name, "old": team.description, "new": newDescription])
                }
                return updated
            }
        } catch MetadataError.conflict {
            throw DomainError.invalidFields(["name": ["has already been taken"]])
        }
    }

    /// Deletes the team. Its namespaces go to `heir` when given; otherwise they are deleted with it,
    /// repositories and all (as Portus does).
    public func delete(_ team: TeamRecord, heir: TeamRecord?, by performer: Performer) async throws {
        if let heir, heir.id == team.id { throw DomainError.rejected("Cannot migrate namespaces to the same team") }
        let organization = try await organization()
        try await store.transaction { tx in
            if let heir {
                try await tx.moveNamespaces(fromTeam: team.id, toTeam: heir.id)
            } else {
                for namespace in try await tx.namespaces(ownedBy: team.id) {
                    try await namespaces.delete(namespace, by: performer, in: tx)
                }
            }
            try await tx.deleteTeam(id: team.id)
            try await tx.emit(.teamDelete, namespace: organization, by: performer, details: ["team": team.name, "new_team": heir?.name])
        }
        namespaces.authenticator.forgetCachedCredentials()
    }

    /// Adds `user` to the team with `role` (an administrator always as `owner`); nil when it is
    /// already a member.
    public func add(_ user: AccountRecord, to team: TeamRecord, role: MemberRole, isAdmin: Bool, by performer: Performer) async throws -> TeamMemberRecord {
        let organization = try await organization()
        return try await store.transaction { tx in
            guard let member = try await tx.addTeamMember(teamID: team.id, accountID: user.id, role: isAdmin ? .owner : role) else {
                throw DomainError.invalidFields(["user": ["has already been taken"]])
            }
            try await tx.emit(.teamAddMember, namespace: organization, by: performer,
                              details: ["team": team.name, "team_user": user.username, "role": member.role?.rawValue])
            return member
        }
    }

    /// Gives a member a new role; an administrator stays `owner`, and the only owner stays one.
    public func setRole(_ member: TeamMemberRecord, of user: AccountRecord, to role: MemberRole, isAdmin: Bool, team: TeamRecord,
                        by performer: Performer) async throws -> TeamMemberRecord {
        if isAdmin, role != .owner { throw DomainError.rejected("User cannot be demoted because it's a Portus admin") }
        let organization = try await organization()
        do {
            return try await store.transaction { tx in
                guard let updated = try await tx.setTeamMemberRole(id: member.id, role) else { throw DomainError.notFound }
                try await tx.emit(.teamChangeMemberRole, namespace: organization, by: performer, details: [
                    "team": team.name, "team_user": user.username, "old_role": member.role?.rawValue, "new_role": role.rawValue,
                ])
                return updated
            }
        } catch MetadataError.conflict {
            throw Self.onlyOwner
        }
    }

    /// Takes a member out of the team; the only owner stays.
    public func remove(_ member: TeamMemberRecord, of user: AccountRecord, team: TeamRecord, by performer: Performer) async throws {
        let organization = try await organization()
        do {
            try await store.transaction { tx in
                guard try await tx.removeTeamMember(id: member.id) else { throw DomainError.notFound }
                try await tx.emit(.teamRemoveMember, namespace: organization, by: performer,
                                  details: ["team": team.name, "team_user": user.username, "role": member.role?.rawValue])
            }
        } catch MetadataError.conflict {
            throw Self.onlyOwner
        }
    }

    /// Portus's answer to taking a team's only owner away.
    static let onlyOwner = DomainError.rejected("Cannot remove the only owner of the team")
}
