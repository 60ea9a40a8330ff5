import Foundation
import Logging
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
    public let registry: RegistrySettingService
    public let settings: PortusSettings
    public let logger: Logger

    public init(store: MetadataStore, blobs: any BlobStore, authenticator: Authenticator, permissions: PermissionResolver, audit: AuditLog,
                appTokens: AppTokenService, repositories: RepositoryService, tags: TagService, settings: PortusSettings, logger: Logger) {
        self.store = store
        self.blobs = blobs
        self.authenticator = authenticator
        self.permissions = permissions
        self.appTokens = appTokens
        self.repositories = repositories
        self.tags = tags
        self.settings = settings
        self.logger = logger
        policy = PortusPolicy(store: store, permissions: permissions, rules: settings.rules)
        users = UserAdministration(store: store, audit: audit, authenticator: authenticator, appTokens: appTokens)
        namespaces = NamespaceService(store: store, audit: audit, authenticator: authenticator)
        teams = PortusTeamService(store: store, audit: audit, namespaces: namespaces)
        registry = RegistrySettingService(store: store, hostname: settings.hostname, useSSL: settings.useSSL,
                                          defaultName: settings.defaultRegistryName)
    }
}
