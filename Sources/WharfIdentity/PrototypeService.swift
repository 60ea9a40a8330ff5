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
    let audit: AuditLog

    public init(store: MetadataStore, audit: AuditLog) {
        self.store = store
        self.audit = audit
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
        let prototype = try await store.createPrototype(organizationID: organization.id, activatingAccountID: activating?.id,
                                                        delegateAccountID: delegateAccount?.id, delegateTeamID: delegateTeam?.id, role: role)
        await audit.record("create_prototype_permission", namespace: organization, by: performer,
                           metadata: ["role": role.rawValue, "id": prototype.uuid, "activating_username": activating?.username,
                                      "delegate_user": delegateAccount?.username, "delegate_team": delegateTeam?.name])
        return prototype
    }

    /// The prototype `uuid` of the organization.
    public func prototype(_ organization: AccountRecord, uuid: String) async throws -> PrototypeRecord {
        guard let prototype = try await store.prototype(organizationID: organization.id, uuid: uuid) else { throw DomainError.notFound }
        return prototype
    }

    /// Changes a prototype's role.
    public func update(_ organization: AccountRecord, uuid: String, role: RepositoryRole, by performer: Performer) async throws -> PrototypeRecord {
        let existing = try await prototype(organization, uuid: uuid)
        try await store.updatePrototype(uuid: uuid, role: role)
        await audit.record("modify_prototype_permission", namespace: organization, by: performer,
                           metadata: ["id": uuid, "role": role.rawValue, "original_role": existing.role.rawValue])
        return try await prototype(organization, uuid: uuid)
    }

    /// Deletes a prototype.
    public func delete(_ organization: AccountRecord, uuid: String, by performer: Performer) async throws {
        let existing = try await prototype(organization, uuid: uuid)
        try await store.deletePrototype(uuid: uuid)
        await audit.record("delete_prototype_permission", namespace: organization, by: performer,
                           metadata: ["id": uuid, "role": existing.role.rawValue])
    }
}
