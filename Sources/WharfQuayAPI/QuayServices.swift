import Foundation
import Logging
import WharfIdentity
import WharfMetadata
import WharfStorage

/// Everything the Quay API's routes use: the store, the identity services and the settings that change
/// what the API answers. Built once by the server.
public struct QuayServices: Sendable {
    public let store: MetadataStore
    /// Blob storage, read for image configs (labels and layer history).
    public let blobs: any BlobStore
    public let authenticator: Authenticator
    public let permissions: PermissionResolver
    /// Portus's delete switches, in namespaces with an owning team.
    public let deletion: DeletionPolicy
    public let audit: AuditLog
    public let accounts: AccountService
    public let organizations: OrganizationService
    public let teams: TeamService
    public let robots: RobotService
    public let appTokens: AppTokenService
    public let repositories: RepositoryService
    public let tags: TagService
    public let labels: LabelService
    public let logExports: LogExportService
    public let repositoryPermissions: RepositoryPermissionService
    public let prototypes: PrototypeService
    public let oauth: OAuthService
    public let sessions: SessionService
    public let settings: QuaySettings

    public init(store: MetadataStore, blobs: any BlobStore, authenticator: Authenticator, sealer: SecretSealer, settings: QuaySettings, logger: Logger) {
        self.store = store
        self.blobs = blobs
        self.authenticator = authenticator
        self.settings = settings
        permissions = PermissionResolver(store: store, superusersFullAccess: settings.superusersFullAccess)
        let audit = AuditLog(store: store, logger: logger)
        self.audit = audit
        accounts = AccountService(store: store, audit: audit)
        deletion = DeletionPolicy(permissions: permissions, rules: settings.portusRules)
        organizations = OrganizationService(store: store, audit: audit, authenticator: authenticator, deletion: deletion)
        teams = TeamService(store: store, audit: audit, requireInvite: settings.mailing && settings.requireTeamInvite)
        robots = RobotService(store: store, sealer: sealer, audit: audit, authenticator: authenticator)
        appTokens = AppTokenService(store: store, sealer: sealer, audit: audit, authenticator: authenticator, lifetime: settings.appTokenLifetime)
        repositories = RepositoryService(store: store, permissions: permissions, audit: audit, deletion: deletion)
        tags = TagService(store: store, audit: audit, deletion: deletion)
        labels = LabelService(store: store, audit: audit)
        logExports = LogExportService(store: store, audit: audit)
        repositoryPermissions = RepositoryPermissionService(store: store, audit: audit)
        prototypes = PrototypeService(store: store, audit: audit)
        oauth = OAuthService(store: store, sealer: sealer, audit: audit, authenticator: authenticator)
        sessions = SessionService(store: store, authenticator: authenticator, audit: audit)
    }
}

/// The configuration settings the Quay API honours.
public struct QuaySettings: Sendable {
    public var serverHostname: String
    public var urlScheme: String
    /// `FEATURE_USER_INITIALIZE`.
    public var userInitialize: Bool
    /// `FEATURE_SUPERUSERS_FULL_ACCESS`.
    public var superusersFullAccess: Bool
    /// `FEATURE_MAILING` (Wharf sends no mail; off unless configured).
    public var mailing: Bool
    /// `FEATURE_REQUIRE_TEAM_INVITE`.
    public var requireTeamInvite: Bool
    /// `APP_SPECIFIC_TOKEN_EXPIRATION` in seconds; nil: app tokens do not expire.
    public var appTokenLifetime: TimeInterval?
    /// Portus's switches (`PORTUS_…`); its delete switches also bind the Quay API.
    public var portusRules = PortusRules()
    /// `DIRECT_OAUTH_CLIENTID_WHITELIST`: OAuth clients a caller with Basic credentials may grant without
    /// the consent form's CSRF token.
    public var directOAuthClients: Set<String> = []

    public init(serverHostname: String, urlScheme: String, userInitialize: Bool = true, superusersFullAccess: Bool = false,
                mailing: Bool = false, requireTeamInvite: Bool = true, appTokenLifetime: TimeInterval? = nil, portusRules: PortusRules = PortusRules()) {
        self.serverHostname = serverHostname
        self.urlScheme = urlScheme
        self.userInitialize = userInitialize
        self.superusersFullAccess = superusersFullAccess
        self.mailing = mailing
        self.requireTeamInvite = requireTeamInvite
        self.appTokenLifetime = appTokenLifetime
        self.portusRules = portusRules
    }
}
