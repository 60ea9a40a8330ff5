import Foundation
import Logging
import WharfDomain
import WharfMetadata
import WharfStorage

/// Everything the Quay API's routes use: the domain's services (the same instances the registry and the
/// Portus API use), the store for reading, and the settings that change what the API answers.
public struct QuayServices: Sendable {
    public let domain: Domain
    public let settings: QuaySettings

    public init(domain: Domain, settings: QuaySettings) {
        self.domain = domain
        self.settings = settings
    }

    /// For reads; every change goes through a service.
    public var store: MetadataStore { domain.store }
    /// Blob storage, read for image configs (labels and layer history).
    public var blobs: BlobStore { domain.blobs }
    public var authenticator: Authenticator { domain.authenticator }
    /// The one access policy.
    public var policy: AccessPolicy { domain.policy }
    public var accounts: AccountService { domain.accounts }
    public var organizations: OrganizationService { domain.organizations }
    public var teams: TeamService { domain.teams }
    public var robots: RobotService { domain.robots }
    public var appTokens: AppTokenService { domain.appTokens }
    public var repositories: RepositoryService { domain.repositories }
    public var tags: TagService { domain.tags }
    public var labels: LabelService { domain.labels }
    public var logExports: LogExportService { domain.logExports }
    public var repositoryPermissions: RepositoryPermissionService { domain.repositoryPermissions }
    public var prototypes: PrototypeService { domain.prototypes }
    public var oauth: OAuthService { domain.oauth }
    public var sessions: SessionService { domain.sessions }
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
    /// `DIRECT_OAUTH_CLIENTID_WHITELIST`: OAuth clients a caller with Basic credentials may grant without
    /// the consent form's CSRF token.
    public var directOAuthClients: Set<String> = []

    public init(serverHostname: String, urlScheme: String, userInitialize: Bool = true, superusersFullAccess: Bool = false,
                mailing: Bool = false, requireTeamInvite: Bool = true, appTokenLifetime: TimeInterval? = nil) {
        self.serverHostname = serverHostname
        self.urlScheme = urlScheme
        self.userInitialize = userInitialize
        self.superusersFullAccess = superusersFullAccess
        self.mailing = mailing
        self.requireTeamInvite = requireTeamInvite
        self.appTokenLifetime = appTokenLifetime
    }
}
