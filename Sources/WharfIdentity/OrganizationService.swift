import Foundation
import WharfMetadata

/// Organizations: creating, changing and deleting them, and removing members.
public struct OrganizationService: Sendable {
    let store: MetadataStore
    let audit: AuditLog
    /// Forgets remembered credential checks when an organization's robots are renamed or deleted.
    let authenticator: Authenticator
    let deletion: DeletionPolicy

    /// The time-machine windows an organization or user may choose (Quay's `TAG_EXPIRATION_OPTIONS`).
    public static let tagExpirationOptions: [Int64] = [0, 86_400, 604_800, 1_209_600, 2_419_200]

    public init(store: MetadataStore, audit: AuditLog, authenticator: Authenticator, deletion: DeletionPolicy) {
        self.store = store
        self.audit = audit
        self.authenticator = authenticator
        self.deletion = deletion
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
        let organization: AccountRecord
        do {
            organization = try await store.createOrganization(name: name, email: email?.isEmpty == false ? email : nil, creatorID: creator.id)
        } catch MetadataError.conflict {
            throw DomainError.invalidRequest("A user or organization with this name already exists")
        }
        await audit.record("org_create", namespace: organization, by: performer, metadata: ["email": email, "namespace": name])
        return organization
    }

    /// Changes the e-mail address and the time-machine window (`tag_expiration_s`).
    public func update(_ organization: AccountRecord, email: String?, tagExpirationSeconds: Int64?, by performer: Performer) async throws {
        if let email, !email.isEmpty {
            do { try AccountRules.validateEmail(email) } catch { throw DomainError.invalidRequest("Invalid email address: \(email)") }
        }
        if let seconds = tagExpirationSeconds, !Self.tagExpirationOptions.contains(seconds) {
            throw DomainError.rejected("Invalid tag expiration option")
        }
        try await store.updateAccount(id: organization.id, email: email, tagExpirationSeconds: tagExpirationSeconds)
        if let email, email != organization.email {
            await audit.record("org_change_email", namespace: organization, by: performer, metadata: ["email": email, "namespace": organization.username])
        }
        if let seconds = tagExpirationSeconds, seconds != organization.removedTagExpirationS {
            await audit.record("org_change_tag_expiration", namespace: organization, by: performer,
                               metadata: ["tag_expiration": String(seconds), "namespace": organization.username])
        }
    }

    /// Renames an organization (superusers only, checked by the caller).
    public func rename(_ organization: AccountRecord, to newName: String, by performer: Performer) async throws {
        do { try AccountRules.validateUsername(newName) } catch { throw DomainError.invalidRequest("Invalid organization name") }
        do {
            try await store.renameAccount(id: organization.id, from: organization.username, to: newName)
        } catch MetadataError.conflict(let message) {
            throw DomainError.invalidRequest(message)
        }
        authenticator.forgetCachedCredentials()
        await audit.record("org_change_name", namespace: organization, by: performer,
                           metadata: ["old_name": organization.username, "new_name": newName])
    }

    /// Deletes an organization with its repositories, teams and robots; the organization that holds
    /// Portus's teams stays (delete the teams instead).
    public func delete(_ organization: AccountRecord, by performer: Performer) async throws {
        guard organization.systemRole == nil else { throw DomainError.rejected("The organization \(organization.username) holds Portus's teams and cannot be deleted") }
        try deletion.requireMayDelete(namespace: organization)
        await audit.record("org_delete", namespace: organization, by: performer, metadata: ["namespace": organization.username])
        try await store.deleteAccount(id: organization.id)
        authenticator.forgetCachedCredentials()
    }

    /// Removes a user from every team of the organization and every permission on its repositories;
    /// the organization's only administrator cannot be removed.
    public func removeMember(_ organization: AccountRecord, member: AccountRecord, by performer: Performer) async throws {
        let admins = try await store.organizationAdminIDs(organizationID: organization.id)
        if admins == [member.id] { throw DomainError.rejected("Cannot remove user as they are the only organization admin") }
        try await store.removeOrganizationMember(organizationID: organization.id, accountID: member.id)
        await audit.record("org_remove_team_member", namespace: organization, by: performer, metadata: ["member": member.username, "team": nil])
    }
}
