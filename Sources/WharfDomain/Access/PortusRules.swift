import WharfMetadata

/// The switches of Portus's `config.yml` that change what its users may do (`first_user_admin`,
/// `delete`, `user_permission`), under Wharf's `PORTUS_…` configuration keys. Defaults are Portus's.
public struct PortusRules: Sendable {
    /// `first_user_admin.enabled`: `POST /api/v1/users/bootstrap` may create the first administrator.
    public var firstUserAdmin = true
    /// `delete.enabled`: namespaces, teams, repositories and tags may be deleted.
    public var deleteEnabled = true
    /// `delete.contributors`: contributors may delete too, not only owners.
    public var deleteContributors = false
    /// `user_permission.create_namespace.enabled`: users (not only administrators) may create namespaces.
    public var createNamespace = true
    /// `user_permission.manage_namespace.enabled`: team owners may change their namespaces.
    public var manageNamespace = true
    /// `user_permission.create_team.enabled`: users may create teams.
    public var createTeam = true
    /// `user_permission.manage_team.enabled`: team owners may change their teams.
    public var manageTeam = true
    /// `user_permission.change_visibility.enabled`: team owners may change a namespace's visibility.
    public var changeVisibility = true

    public init() {}

    /// Whether a caller holding `role` on a repository of a namespace with an owning team may delete
    /// its images and tags (`delete.enabled`, and an owner, or a contributor with `delete.contributors`).
    public func allowsDeletion(by role: RepositoryRole?) -> Bool {
        guard deleteEnabled else { return false }
        switch role {
        case .admin: return true
        case .write: return deleteContributors
        case .read, nil: return false
        }
    }
}
