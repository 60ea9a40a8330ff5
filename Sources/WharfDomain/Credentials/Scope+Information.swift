/// How Quay describes each scope on its consent page (`auth/scopes.py`): a title, a description, an icon
/// and whether granting it is dangerous.
extension Scope {
    public var title: String {
        switch self {
        case .repoRead: "View all visible repositories"
        case .repoWrite: "Read/Write to any accessible repositories"
        case .repoAdmin: "Administer Repositories"
        case .repoCreate: "Create Repositories"
        case .userRead: "Read User Information"
        case .userAdmin: "Administer User"
        case .orgAdmin: "Administer Organization"
        case .superUser: "Super User Access"
        }
    }

    public var summary: String {
        switch self {
        case .repoRead: "This application will be able to view and pull all repositories visible to the granting user or robot account"
        case .repoWrite: "This application will be able to view, push and pull to all repositories to which the granting user or robot account has write access"
        case .repoAdmin: "This application will have administrator access to all repositories to which the granting user or robot account has access"
        case .repoCreate: "This application will be able to create repositories in to any namespaces that the granting user or robot account is allowed to create repositories"
        case .userRead: "This application will be able to read user information such as username and email address."
        case .userAdmin: "This application will be able to administer your account including creating robots and granting them permissions to your repositories. You should have absolute trust in the requesting application before granting this permission."
        case .orgAdmin: "This application will be able to administer your organizations including creating robots, creating teams, adjusting team membership, and changing billing settings. You should have absolute trust in the requesting application before granting this permission."
        case .superUser: "This application will be able to administer your installation including managing users, managing organizations and other features found in the superuser panel. You should have absolute trust in the requesting application before granting this permission."
        }
    }

    public var icon: String {
        switch self {
        case .repoRead, .repoWrite, .repoAdmin: "fa-hdd-o"
        case .repoCreate: "fa-plus"
        case .userRead: "fa-user"
        case .userAdmin, .orgAdmin: "fa-gear"
        case .superUser: "fa-street-view"
        }
    }

    /// Whether granting the scope hands over control of an account, an organization or the installation.
    public var isDangerous: Bool { [.userAdmin, .orgAdmin, .superUser].contains(self) }
}
