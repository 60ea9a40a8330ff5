import Foundation
import WharfMetadata

/// Grants and revokes repository roles for users, robots and teams, with Quay's rules: the namespace
/// owner is always admin, robots only get permissions in their own namespace, teams only in their
/// organization.
public struct RepositoryPermissionService: Sendable {
    let store: MetadataStore

    public init(store: MetadataStore) {
        self.store = store
    }

    /// The user or robot `username` as a permission holder on `repository`.
    public func grantee(_ username: String, on repository: RepositoryRecord) async throws -> AccountRecord {
        if username == repository.namespaceName { throw DomainError.rejected("Namespace owner must always be admin.") }
        guard let account = try await store.account(named: username), !account.isOrganization else {
            throw DomainError.rejected("Invalid username: \(username)")
        }
        if account.isRobot, !username.hasPrefix(repository.namespaceName + "+") {
            throw DomainError.rejected("Cannot add robot \(username) under namespace \(repository.namespaceName)")
        }
        return account
    }

    /// The direct role of `username` on the repository; Quay answers 400 when there is none.
    public func userRole(_ username: String, on repository: RepositoryRecord) async throws -> (AccountRecord, RepositoryRole) {
        let account = try await grantee(username, on: repository)
        guard let role = try await store.explicitRole(accountID: account.id, repositoryID: repository.id) else {
            throw DomainError.rejected("User does not have permission for repo.")
        }
        return (account, role)
    }

    /// The role of team `name` on the repository; Quay answers 400 when there is none.
    public func teamRole(_ name: String, on repository: RepositoryRecord) async throws -> (TeamRecord, RepositoryRole) {
        let team = try await team(name, of: repository)
        guard let role = try await store.teamRole(teamID: team.id, repositoryID: repository.id) else {
            throw DomainError.rejected("Team does not have permission for repo.")
        }
        return (team, role)
    }

    /// Gives `username` the role `role` on the repository.
    public func setUser(_ username: String, role: RepositoryRole, on repository: RepositoryRecord, by performer: Performer) async throws -> AccountRecord {
        let account = try await grantee(username, on: repository)
        try await store.transaction { tx in
            let previous = try await tx.explicitRole(accountID: account.id, repositoryID: repository.id)
            try await tx.setPermission(repositoryID: repository.id, accountID: account.id, role: role)
            try await tx.emit(previous == nil ? .addRepositoryPermission : .changeRepositoryPermission, by: performer, repository: repository,
                              details: ["username": username, "repo": repository.name, "namespace": repository.namespaceName, "role": role.rawValue])
        }
        return account
    }

    /// Removes `username`'s direct role on the repository.
    public func deleteUser(_ username: String, on repository: RepositoryRecord, by performer: Performer) async throws {
        let account = try await grantee(username, on: repository)
        try await store.transaction { tx in
            guard try await tx.deletePermission(repositoryID: repository.id, accountID: account.id) else {
                throw DomainError.rejected("User does not have permission for repo.")
            }
            try await tx.emit(.deleteRepositoryPermission, by: performer, repository: repository,
                              details: ["username": username, "repo": repository.name, "namespace": repository.namespaceName])
        }
    }

    /// The team `name` of the repository's organization.
    public func team(_ name: String, of repository: RepositoryRecord) async throws -> TeamRecord {
        guard let team = try await store.team(organizationID: repository.namespaceId, name: name) else {
            throw DomainError.rejected("Team '\(name)' is not a team in org '\(repository.namespaceName)'")
        }
        return team
    }

    /// Gives team `name` the role `role` on the repository.
    public func setTeam(_ name: String, role: RepositoryRole, on repository: RepositoryRecord, by performer: Performer) async throws -> TeamRecord {
        let team = try await team(name, of: repository)
        try await store.transaction { tx in
            try await tx.setTeamPermission(repositoryID: repository.id, teamID: team.id, role: role)
            try await tx.emit(.changeRepositoryPermission, by: performer, repository: repository,
                              details: ["team": name, "repo": repository.name, "namespace": repository.namespaceName, "role": role.rawValue])
        }
        return team
    }

    /// Removes team `name`'s role on the repository.
    public func deleteTeam(_ name: String, on repository: RepositoryRecord, by performer: Performer) async throws {
        let team = try await team(name, of: repository)
        try await store.transaction { tx in
            guard try await tx.deleteTeamPermission(repositoryID: repository.id, teamID: team.id) else {
                throw DomainError.rejected("Team does not have permission for repo.")
            }
            try await tx.emit(.deleteRepositoryPermission, by: performer, repository: repository,
                              details: ["team": name, "repo": repository.name, "namespace": repository.namespaceName])
        }
    }
}
