import Foundation
import WharfIdentity
import WharfMetadata
import WharfStorage

/// Everything the Portus API's routes use: the shared store and domain services (the same instances the
/// Quay API and the registry use) and the settings that change what the API answers.
public struct PortusServices: Sendable {
    public let store: MetadataStore
    /// Checked by `health`.
    public let blobs: any BlobStore
    public let authenticator: Authenticator
    public let permissions: PermissionResolver
    public let policy: PortusPolicy
    public let users: UserAdministration
    public let appTokens: AppTokenService
    public let namespaces: NamespaceService
    public let teams: PortusTeamService
    public let repositories: RepositoryService
    public let tags: TagService
    public let settings: PortusSettings

    public init(store: MetadataStore, blobs: any BlobStore, authenticator: Authenticator, permissions: PermissionResolver, audit: AuditLog,
                appTokens: AppTokenService, repositories: RepositoryService, tags: TagService, settings: PortusSettings) {
        self.store = store
        self.blobs = blobs
        self.authenticator = authenticator
        self.permissions = permissions
        self.appTokens = appTokens
        self.repositories = repositories
        self.tags = tags
        self.settings = settings
        policy = PortusPolicy(store: store, permissions: permissions, rules: settings.rules)
        users = UserAdministration(store: store, audit: audit, authenticator: authenticator)
        namespaces = NamespaceService(store: store, audit: audit, authenticator: authenticator)
        teams = PortusTeamService(store: store, audit: audit)
    }
}

/// The configuration the Portus API answers with.
public struct PortusSettings: Sendable {
    /// The registry's host name (`SERVER_HOSTNAME`): what Portus calls the registry's `hostname`.
    public var hostname: String
    /// Whether clients reach the registry over TLS (`PREFERRED_URL_SCHEME` is `https`).
    public var useSSL: Bool
    /// The registry's name until one is set (`REGISTRY_TITLE`).
    public var defaultRegistryName: String
    /// Wharf's version, reported by `/api/version`.
    public var version: String
    public var rules: PortusRules

    public init(hostname: String, useSSL: Bool, defaultRegistryName: String, version: String, rules: PortusRules) {
        self.hostname = hostname
        self.useSSL = useSSL
        self.defaultRegistryName = defaultRegistryName
        self.version = version
        self.rules = rules
    }

    /// `scheme://host`, the base of pagination links.
    var baseURL: String { (useSSL ? "https://" : "http://") + hostname }
}
