import Foundation
import WharfMetadata

/// What changes in a namespace; nil leaves a part as it is.
public struct NamespaceChange: Sendable {
    public var name: String?
    public var description: String?
    public var owningTeam: TeamRecord?
    public var visibility: NamespaceVisibility?

    public init(name: String? = nil, description: String? = nil, owningTeam: TeamRecord? = nil, visibility: NamespaceVisibility? = nil) {
        self.name = name
        self.description = description
        self.owningTeam = owningTeam
        self.visibility = visibility
    }
}

/// Namespaces as Portus manages them, on Wharf's accounts: a namespace is an organization (or a user's
/// own, personal one) with a description, a visibility and an owning team whose members' roles decide
/// what they may do there. Changes are logged with Portus's activity keys.
public struct NamespaceService: Sendable {
    let store: MetadataStore
    let authenticator: Authenticator

    public init(store: MetadataStore, authenticator: Authenticator) {
        self.store = store
        self.authenticator = authenticator
    }

    /// Portus's message for a name outside the namespace grammar.
    public static let invalidNameMessage = "can only contain lower case alphanumeric characters, with optional underscores and dashes in the middle."

    /// The problems with `name` as a new namespace's name, by field (empty when it is fine).
    public func problems(name: String?, renaming current: AccountRecord? = nil) async throws -> [String: [String]] {
        guard let name, !name.isEmpty else { return ["name": ["can't be blank"]] }
        var messages: [String] = []
        if name.count > 255 { messages.append("is too long (maximum is 255 characters)") }
        do { try AccountRules.validateUsername(name) } catch { messages.append(Self.invalidNameMessage) }
        if name != current?.username, try await store.account(named: name) != nil { messages.append("has already been taken") }
        return messages.isEmpty ? [:] : ["name": messages]
    }

    /// Creates the namespace `name` (a private organization) owned by `team`.
    public func create(name: String, team: TeamRecord, description: String, by performer: Performer) async throws -> AccountRecord {
        let problems = try await problems(name: name)
        guard problems.isEmpty else { throw DomainError.invalidFields(problems) }
        do {
            return try await store.transaction { tx in
                let namespace = try await tx.createOrganization(name: name, email: nil, creatorID: nil, ownerTeamID: team.id, description: description)
                try await tx.emit(.namespaceCreate, namespace: namespace, by: performer, details: ["namespace": name, "team": team.name])
                return namespace
            }
        } catch MetadataError.conflict {
            throw DomainError.invalidFields(["name": ["has already been taken"]])
        }
    }

    /// Applies `change`; the caller has checked that it may. A public namespace's repositories become
    /// public with it; a personal namespace keeps its name (its user's).
    public func update(_ namespace: AccountRecord, _ change: NamespaceChange, by performer: Performer) async throws -> AccountRecord {
        var stored = AccountChange()
        if let name = change.name, name != namespace.username {
            guard namespace.isOrganization else { throw DomainError.invalidFields(["name": ["cannot be changed for a personal namespace"]]) }
            let problems = try await problems(name: name, renaming: namespace)
            guard problems.isEmpty else { throw DomainError.invalidFields(problems) }
            stored.username = name
        }
        if let description = change.description, description != namespace.description { stored.description = description }
        if let visibility = change.visibility, visibility != namespace.namespaceVisibility { stored.namespaceVisibility = visibility }
        if let team = change.owningTeam, team.id != namespace.ownerTeamId {
            guard namespace.isOrganization else { throw DomainError.invalidFields(["team": ["cannot be changed for a personal namespace"]]) }
            stored.ownerTeamID = team.id
            stored.changesOwnerTeam = true
        }
        guard !stored.isEmpty else { throw DomainError.invalidFields([:]) }
        let updated: AccountRecord
        do {
            updated = try await store.transaction { tx in
                guard let updated = try await tx.changeAccount(id: namespace.id, stored) else { throw DomainError.notFound }
                if stored.username != nil {
                    try await tx.emit(.namespaceChangeName, namespace: updated, by: performer,
                                      details: ["old": namespace.username, "new": updated.username])
                }
                if stored.description != nil {
                    try await tx.emit(.namespaceChangeDescription, namespace: updated, by: performer,
                                      details: ["old": namespace.description, "new": updated.description])
                }
                if let visibility = stored.namespaceVisibility {
                    try await tx.emit(.namespaceChangeVisibility, namespace: updated, by: performer,
                                      details: ["visibility": visibility.rawValue, "namespace": updated.username])
                }
                if let team = change.owningTeam, stored.changesOwnerTeam {
                    try await tx.emit(.namespaceChangeTeam, namespace: updated, by: performer, details: ["new": team.name, "namespace": updated.username])
                }
                return updated
            }
        } catch MetadataError.conflict {
            throw DomainError.invalidFields(["name": ["has already been taken"]])
        }
        if stored.username != nil { authenticator.forgetCachedCredentials() }
        return updated
    }

    /// Deletes an organization namespace with its repositories; a personal namespace is refused.
    public func delete(_ namespace: AccountRecord, by performer: Performer) async throws {
        try await store.transaction { tx in try await delete(namespace, by: performer, in: tx) }
        authenticator.forgetCachedCredentials()
    }

    /// `delete` as part of `tx` (deleting a team deletes its namespaces with it).
    func delete(_ namespace: AccountRecord, by performer: Performer, in tx: StoreTransaction) async throws {
        guard namespace.isOrganization else { throw DomainError.rejected("Cannot remove personal namespace") }
        try await tx.emit(.namespaceDelete, namespace: namespace, by: performer, details: ["namespace": namespace.username])
        try await tx.deleteAccount(id: namespace.id)
    }

    /// The team a namespace shows as its own: its owning team, or an organization's `owners` team; a
    /// personal namespace has none.
    public func team(of namespace: AccountRecord) async throws -> TeamRecord? {
        if let id = namespace.ownerTeamId { return try await store.team(id: id) }
        guard namespace.isOrganization else { return nil }
        return try await store.team(organizationID: namespace.id, name: "owners")
    }
}
