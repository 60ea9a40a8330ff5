import Foundation
import WharfMetadata

/// Who a default permission is for: a user or robot, or a team.
public enum PrototypeDelegate: Sendable, Equatable {
    case user(String)
    case team(String)
}

/// An organization's default permissions (Quay's "prototypes"), applied to each new repository.
public struct PrototypeService: Sendable {
    let store: MetadataStore

    public init(store: MetadataStore) {
        self.store = store
    }

    /// Adds a default permission: `delegate` gets `role` on repositories that `activatingUser` (or anyone) creates.
    public func create(_ organization: AccountRecord, role: RepositoryRole, delegate: PrototypeDelegate, activatingUser: String?,
                       by performer: Performer) async throws -> PrototypeRecord {
        var activating: AccountRecord?
        if let activatingUser {
            guard let account = try await store.account(named: activatingUser), !account.isOrganization else {
                throw DomainError.invalidRequest("Unknown activating user")
            }
            activating = account
        }
        var delegateAccount: AccountRecord?
        var delegateTeam: TeamRecord?
        switch delegate {
        case .user(let name):
            guard let account = try await store.account(named: name), !account.isOrganization else {
                throw DomainError.invalidRequest("Unknown delegate user")
            }
            if account.isRobot, !name.hasPrefix(organization.username + "+") {
                throw DomainError.invalidRequest("Delegate robot must belong to the organization")
            }
            delegateAccount = account
        case .team(let name):
            guard let team = try await store.team(organizationID: organization.id, name: name) else {
                throw DomainError.invalidRequest("Unknown delegate team")
            }
            delegateTeam = team
        }
        return try await store.transaction { [delegateAccount, delegateTeam] tx in
            let prototype = try await tx.createPrototype(organizationID: organization.id, activatingAccountID: activating?.id,
                                                         delegateAccountID: delegateAccount?.id, delegateTeamID: delegateTeam?.id, role: role)
            try await tx.emit(.createPrototypePermission, namespace: organization, by: performer,
                              details: ["role": role.rawValue, "id": prototype.uuid, "activating_username": activating?.username,
                                        "delegate_user": delegateAccount?.username, "delegate_team": delegateTeam?.name])
            return prototype
        }
    }

    /// The prototype `uuid` of the organization.
    public func prototype(_ organization: AccountRecord, uuid: String) async throws -> PrototypeRecord {
        guard let prototype = try await store.prototype(organizationID: organization.id, uuid: uuid) else { throw DomainError.notFound }
        return prototype
    }

    /// Changes a prototype's role.
    public func update(_ organization: AccountRecord, uuid: String, role: RepositoryRole, by performer: Performer) async throws -> PrototypeRecord {
        let existing = try await prototype(organization, uuid: uuid)
        try await store.transaction { tx in
            try await tx.updatePrototype(uuid: uuid, role: role)
            try await tx.emit(.modifyPrototypePermission, namespace: organization, by: performer,
                              details: ["id": uuid, "role": role.rawValue, "original_role": existing.role.rawValue])
        }
        return try await prototype(organization, uuid: uuid)
    }

    /// Deletes a prototype.
    public func delete(_ organization: AccountRecord, uuid: String, by performer: Performer) async throws {
        let existing = try await prototype(organization, uuid: uuid)
        try await store.transaction { tx in
            try await tx.deletePrototype(uuid: uuid)
            try await tx.emit(.deletePrototypePermission, namespace: organization, by: performer, details: ["id": uuid, "role": existing.role.rawValue])
        }
    }
}
