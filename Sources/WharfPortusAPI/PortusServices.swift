import Foundation
import Logging
import WharfDomain
import WharfMetadata
import WharfStorage

/// Everything the Portus API's routes use: the domain's services (the same instances the Quay API and
/// the registry use), the store for reading, and the settings that change what the API answers.
public struct PortusServices: Sendable {
    public let domain: Domain
    public let settings: PortusSettings
    public let logger: Logger

    public init(domain: Domain, settings: PortusSettings, logger: Logger) {
        self.domain = domain
        self.settings = settings
        self.logger = logger
    }

    /// For reads; every change goes through a service.
    public var store: MetadataStore { domain.store }
    /// Checked by `health`.
    public var blobs: BlobStore { domain.blobs }
    public var authenticator: Authenticator { domain.authenticator }
    /// The one access policy.
    public var policy: AccessPolicy { domain.policy }
    public var users: UserAdministration { domain.users }
    public var appTokens: AppTokenService { domain.appTokens }
    public var namespaces: NamespaceService { domain.namespaces }
    public var teams: PortusTeamService { domain.portusTeams }
    public var repositories: RepositoryService { domain.repositories }
    public var tags: TagService { domain.tags }
    public var registry: RegistrySettingService { domain.registrySetting }
}
