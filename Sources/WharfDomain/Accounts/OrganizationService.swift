import Foundation
import WharfMetadata

/// Organizations: creating, changing and deleting them, and removing members.
public struct OrganizationService: Sendable {
    let store: MetadataStore
    /// Forgets remembered credential checks when an organization's robots are renamed or deleted.
    let authenticator: Authenticator
    let policy: AccessPolicy

    /// The time-machine windows an organization or user may choose (Quay's `TAG_EXPIRATION_OPTIONS`).
    public static let tagExpirationOptions: [Int64] = [0, 86_400, 604_800, 1_209_600, 2_419_200]

    public init(store: MetadataStore, authenticator: Authenticator, policy: AccessPolicy) {
        self.store = store
        self.authenticator = authenticator
        self.policy = policy
    }

    /// Creates an organization whose `owners` team holds its creator.
    public func create(name: String, email: String?, by performer: Performer) async throws -> AccountRecord {
        guard let creator = performer.account, !creator.isRobot, !creator.isOrganization else { throw DomainError.invalidRequest("Requires a user") }
        do {
            try AccountRules.validateUsername(name)
            if let email, !email.isEmpty { try AccountRules.validateEmail(email) }
        } catch .invalid(let message) {
            throw DomainError.invalidRequest(message)
        } catch {
            throw DomainError.invalidRequest("\(error)")
        }
        do {
            return try await store.transaction { tx in
                let organization = try await tx.createOrganization(name: name, email: email?.isEmpty == false ? email : nil, creatorID: creator.id)
                try await tx.emit(.orgCreate, namespace: organization, by: performer, details: ["email": email, "namespace": name])
                return organization
            }
        } catch MetadataError.conflict {
            throw DomainError.invalidRequest("A user or organization with this name already exists")
        }
    }

    /// Changes the e-mail address and the time-machine window (`tag_expiration_s`).
    public func update(_ organization: AccountRecord, email: String?, tagExpirationSeconds: Int64?, by performer: Performer) async throws {
        if let email, !email.isEmpty {
            do { try AccountRules.validateEmail(email) } catch { throw DomainError.invalidRequest("Invalid email address: \(email)") }
        }
        if let seconds = tagExpirationSeconds, !Self.tagExpirationOptions.contains(seconds) {
            throw DomainError.rejected("Invalid tag expiration option")
        }
        try await store.transaction { tx in
            try await tx.updateAccount(id: organization.id, email: email, tagExpirationSeconds: tagExpirationSeconds)
            if let email, email != organization.email {
                try await tx.emit(.orgChangeEmail, namespace: organization, by: performer, details: ["email": email, "namespace": organization.username])
            }
            if let seconds = tagExpirationSeconds, seconds != organization.removedTagExpirationS {
                try await tx.emit(.orgChangeTagExpiration, namespace: organization, by: performer,
                                  details: ["tag_expiration": String(seconds), "namespace": organization.username])
            }
        }
    }

    /// Renames an organization (superusers only, checked by the caller).
    public func rename(_ organization: AccountRecord, to newName: String, by performer: Performer) async throws {
        do { try AccountRules.validateUsername(newName) } catch { throw DomainError.invalidRequest("Invalid organization name") }
        do {
            try await store.transaction { tx in
                try await tx.renameAccount(id: organization.id, from: organization.username, to: newName)
                try await tx.emit(.orgChangeName, namespace: organization, by: performer,
                                  details: ["old_name": organization.username, "new_name": newName])
            }
        } catch MetadataError.conflict(let message) {
            throw DomainError.invalidRequest(message)
        }
        authenticator.forgetCachedCredentials()
    }

    /// Deletes an organization with its repositories, teams and robots; the organization that holds
    /// Portus's teams stays (delete the teams instead).
    public func delete(_ organization: AccountRecord, by performer: Performer) async throws {
        guard organization.systemRole == nil else { throw DomainError.rejected("The organization \(organization.username) holds Portus's teams and cannot be deleted") }
        try policy.requireMayDelete(namespace: organization)
        try await store.transaction { tx in
            try await tx.emit(.orgDelete, namespace: organization, by: performer, details: ["namespace": organization.username])
            try await tx.deleteAccount(id: organization.id)
        }
        authenticator.forgetCachedCredentials()
    }

    /// Removes a user from every team of the organization and every permission on its repositories;
    /// the organization's only administrator cannot be removed.
    public func removeMember(_ organization: AccountRecord, member: AccountRecord, by performer: Performer) async throws {
        let admins = try await store.organizationAdminIDs(organizationID: organization.id)
        if admins == [member.id] { throw DomainError.rejected("Cannot remove user as they are the only organization admin") }
        try await store.transaction { tx in
            try await tx.removeOrganizationMember(organizationID: organization.id, accountID: member.id)
            try await tx.emit(.orgRemoveTeamMember, namespace: organization, by: performer, details: ["member": member.username, "team": nil])
        }
    }
}
