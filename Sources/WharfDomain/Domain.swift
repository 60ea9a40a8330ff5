import Foundation
import Logging
import WharfMetadata
import WharfStorage

/// The settings that change what the domain allows, from the server configuration.
public struct DomainSettings: Sendable {
    /// `FEATURE_SUPERUSERS_FULL_ACCESS`.
    public var superusersFullAccess = false
    /// Portus's switches (`PORTUS_…`); its delete switches bind every API.
    public var portusRules = PortusRules()
    /// `FEATURE_MAILING` and `FEATURE_REQUIRE_TEAM_INVITE`: team members are invited rather than added.
    public var requireTeamInvite = false
    /// `APP_SPECIFIC_TOKEN_EXPIRATION` in seconds; nil: app tokens do not expire.
    public var appTokenLifetime: TimeInterval?
    /// `MAXIMUM_LAYER_SIZE` in bytes.
    public var maximumBlobSize: Int64 = 20 * 1024 * 1024 * 1024
    /// `PUSH_TEMP_TAG_EXPIRATION_SEC`: how long an upload or an untagged manifest stays linked.
    public var temporaryLinkSeconds: Int64 = 3600
    /// The registry the Portus API lists: its host, whether it uses TLS, and its default name.
    public var registryHostname = "localhost"
    public var registryUsesSSL = false
    public var registryName = "Wharf"

    public init() {}
}

/// The domain layer, assembled once: every service through which state changes, sharing one store, one
/// blob store and one event bus (the audit log its first subscriber). The three APIs and the workers
/// take what they need from here.
public struct Domain: Sendable {
    public let store: MetadataStore
    public let blobs: BlobStore
    public let events: EventBus
    public let settings: DomainSettings
    public let authenticator: Authenticator
    /// The one access policy, for every API and the registry's token endpoint.
    public let policy: AccessPolicy
    public let accounts: AccountService
    public let users: UserAdministration
    public let sessions: SessionService
    public let organizations: OrganizationService
    public let teams: TeamService
    public let namespaces: NamespaceService
    public let portusTeams: PortusTeamService
    public let robots: RobotService
    public let appTokens: AppTokenService
    public let oauth: OAuthService
    public let repositories: RepositoryService
    public let repositoryPermissions: RepositoryPermissionService
    public let prototypes: PrototypeService
    public let tags: TagService
    public let manifests: ManifestService
    public let uploads: UploadService
    public let blobLinks: BlobService
    public let labels: LabelService
    public let stars: StarService
    public let messages: MessageService
    public let scans: ScanService
    public let logExports: LogExportService
    public let registrySetting: RegistrySettingService
    public let search: EntitySearch

    public init(store: MetadataStore, blobs: BlobStore, authenticator: Authenticator, sealer: SecretSealer, settings: DomainSettings,
                logger: Logger) {
        self.store = store
        self.blobs = blobs
        self.settings = settings
        self.authenticator = authenticator
        events = EventBus(store: store, logger: logger)
        events.subscribe(AuditLog(store: store))
        policy = AccessPolicy(store: store, superusersFullAccess: settings.superusersFullAccess, rules: settings.portusRules)
        accounts = AccountService(store: store)
        appTokens = AppTokenService(store: store, sealer: sealer, authenticator: authenticator, lifetime: settings.appTokenLifetime)
        users = UserAdministration(store: store, authenticator: authenticator, appTokens: appTokens)
        sessions = SessionService(store: store, authenticator: authenticator)
        organizations = OrganizationService(store: store, authenticator: authenticator, policy: policy)
        teams = TeamService(store: store, requireInvite: settings.requireTeamInvite)
        namespaces = NamespaceService(store: store, authenticator: authenticator)
        portusTeams = PortusTeamService(store: store, namespaces: namespaces)
        robots = RobotService(store: store, sealer: sealer, authenticator: authenticator)
        oauth = OAuthService(store: store, sealer: sealer, authenticator: authenticator)
        repositories = RepositoryService(store: store, policy: policy)
        repositoryPermissions = RepositoryPermissionService(store: store)
        prototypes = PrototypeService(store: store)
        tags = TagService(store: store)
        manifests = ManifestService(store: store, tags: tags)
        uploads = UploadService(store: store, blobs: blobs, maximumBlobSize: settings.maximumBlobSize,
                                temporaryLinkSeconds: settings.temporaryLinkSeconds)
        blobLinks = BlobService(store: store, blobs: blobs, temporaryLinkSeconds: settings.temporaryLinkSeconds)
        labels = LabelService(store: store)
        stars = StarService(store: store)
        messages = MessageService(store: store)
        scans = ScanService(store: store)
        logExports = LogExportService(store: store)
        registrySetting = RegistrySettingService(store: store, hostname: settings.registryHostname, useSSL: settings.registryUsesSSL,
                                                 defaultName: settings.registryName)
        search = EntitySearch(store: store, policy: policy)
    }
}
