import Foundation
import WharfMetadata

/// One result of an entity search.
public enum EntityMatch: Sendable {
    /// A user; `isOrganizationMember` is set when the search was scoped to an organization.
    case user(AccountRecord, isOrganizationMember: Bool?)
    /// A robot of the searched namespace; `ofOrganization` when that namespace is an organization.
    case robot(RobotRecord, ofOrganization: Bool)
    case team(TeamRecord)
    case organization(AccountRecord)
}

/// Autocompletion of users, robots, teams and organizations by name prefix (Quay's `/entities`): users
/// for anyone; a namespace's robots (and, asked for, its teams and the organization itself) only for
/// those who administer the user namespace or belong to the organization.
public struct EntitySearch: Sendable {
    let store: MetadataStore
    let policy: AccessPolicy
    /// Results per kind.
    static let limit = 10

    public init(store: MetadataStore, policy: AccessPolicy) {
        self.store = store
        self.policy = policy
    }

    /// The entities whose names start with `prefix`, as `caller` may see them.
    public func search(prefix: String, namespace name: String?, includeTeams: Bool, includeOrganizations: Bool,
                       caller: Identity) async throws -> [EntityMatch] {
        var namespace: AccountRecord?
        if let name, let found = try await store.account(named: name), !found.isRobot {
            let visible = found.isOrganization ? try await policy.isMember(caller, of: found)
                                               : policy.administersUser(caller, username: found.username)
            if visible { namespace = found }
        }
        var results: [EntityMatch] = []
        if let namespace {
            let robotPrefix = prefix.contains("+") ? prefix : namespace.username + "+" + prefix
            for robot in try await store.robots(ownerID: namespace.id, prefix: robotPrefix, limit: Self.limit) {
                results.append(.robot(robot, ofOrganization: namespace.isOrganization))
            }
            if namespace.isOrganization, includeTeams {
                for summary in try await store.teamSummaries(organizationID: namespace.id) where summary.team.name.hasPrefix(prefix) {
                    results.append(.team(summary.team))
                }
            }
            if namespace.isOrganization, includeOrganizations, namespace.username.hasPrefix(prefix) {
                results.append(.organization(namespace))
            }
        }
        if !prefix.contains("+") {
            for user in try await store.accounts(prefix: prefix, organizations: false, limit: Self.limit) {
                var member: Bool?
                if let namespace, namespace.isOrganization { member = try await policy.belongs(user, to: namespace) }
                results.append(.user(user, isOrganizationMember: member))
            }
        }
        return results
    }
}
