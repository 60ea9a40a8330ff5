import Foundation
import Hummingbird
import Logging
import WharfIdentity
import WharfMetadata
import WharfPortusAPI
import WharfQuayAPI
import WharfRegistry
import WharfStorage

/// The assembled server: stores, identity, the registry, the Quay API and the Portus API behind one HTTP
/// listener.
public struct WharfServer: Sendable {
    public let configuration: WharfConfiguration
    public let store: MetadataStore
    public let blobs: any BlobStore
    public let authenticator: Authenticator
    public let accounts: AccountService
    /// The identity services the APIs share (organizations, teams, robots, tokens, permissions, audit log).
    public let services: QuayServices
    public let janitor: UploadJanitor
    /// Writes pull and push counts to the database every few seconds.
    public let flusher: ActivityFlusher
    /// Carries out queued log exports.
    public let exports: LogExportWorker
    let registry: RegistryHandler
    let quay: QuayAPIHandler
    let portus: PortusAPIHandler
    let oauth: OAuthHandler
    let logger: Logger

    /// Wharf's version, reported by the Portus API's `/api/version`.
    public static let version = "0.5.0"

    /// Opens the data directory, the database (migrating it) and the blob store, and wires the handlers.
    public static func assemble(_ configuration: WharfConfiguration, logger: Logger) async throws -> WharfServer {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        for key in configuration.ignoredKeys {
            logger.warning("configuration key is not supported by Wharf and is ignored", metadata: ["key": "\(key)"])
        }
        let store = try await MetadataStore.open(uri: configuration.databaseURI, defaultSQLitePath: configuration.sqlitePath,
                                                lookupCacheTTL: configuration.lookupCacheTTL, logger: logger)
        let blobs = try FilesystemBlobStore(root: configuration.effectiveStoragePath)
        let authenticator = Authenticator(store: store, superUsers: configuration.superUsers)
        let tokens = try await RegistryTokenService(keyPath: configuration.signingKeyPath, issuer: "quay",
                                                    audience: configuration.effectiveServerHostname, store: store)
        let registryConfiguration = RegistryConfiguration(
            serverHostname: configuration.effectiveServerHostname, urlScheme: configuration.urlScheme,
            maximumBlobSize: configuration.maximumLayerSize, temporaryLinkSeconds: configuration.pushTempTagExpiration)
        let activity = RepositoryActivity()
        let sealer = try SecretSealer.load(configured: configuration.databaseSecretKey, path: configuration.databaseSecretKeyPath)
        let settings = QuaySettings(serverHostname: configuration.effectiveServerHostname, urlScheme: configuration.urlScheme,
                                    userInitialize: configuration.userInitialize, superusersFullAccess: configuration.superusersFullAccess,
                                    mailing: configuration.mailing, requireTeamInvite: configuration.requireTeamInvite,
                                    appTokenLifetime: configuration.appTokenLifetime, portusRules: configuration.portusRules)
        let services = QuayServices(store: store, blobs: blobs, authenticator: authenticator, sealer: sealer, settings: settings, logger: logger)
        let flusher = ActivityFlusher(activity: activity, audit: services.audit, store: store, interval: .seconds(5), logger: logger)
        let registry = RegistryHandler(configuration: registryConfiguration, store: store, blobs: blobs, authenticator: authenticator,
                                       permissions: services.permissions, deletion: services.deletion, audit: services.audit, tokens: tokens,
                                       activity: activity, logger: logger)
        let quay = QuayAPIHandler(routes: QuayRouteTable.routes(services), services: services, logger: logger)
        let oauth = OAuthHandler(services: services, api: quay)
        let portusSettings = PortusSettings(hostname: configuration.effectiveServerHostname, useSSL: configuration.urlScheme == "https",
                                            defaultRegistryName: configuration.registryTitle, version: version, rules: configuration.portusRules)
        let portus = PortusAPIHandler(services: PortusServices(store: store, blobs: blobs, authenticator: authenticator, permissions: services.permissions,
                                                               audit: services.audit, appTokens: services.appTokens, repositories: services.repositories,
                                                               tags: services.tags, settings: portusSettings, logger: logger),
                                      logger: logger)
        let exports = LogExportWorker(store: store, baseURL: "\(configuration.urlScheme)://\(configuration.effectiveServerHostname)",
                                      policy: OutboundURLPolicy(allowedHosts: configuration.outboundAllowedHosts),
                                      interval: .seconds(2), logger: logger)
        let janitor = UploadJanitor(store: store, blobs: blobs, expirySeconds: configuration.uploadExpiration,
                                    interval: .seconds(600), logger: logger)
        return WharfServer(configuration: configuration, store: store, blobs: blobs, authenticator: authenticator,
                           accounts: services.accounts, services: services, janitor: janitor, flusher: flusher, exports: exports, registry: registry, quay: quay,
                           portus: portus, oauth: oauth, logger: logger)
    }

    /// The HTTP application listening on the configured address.
    public func application() -> some ApplicationProtocol {
        Application(responder: WharfResponder(registry: registry, quay: quay, portus: portus, oauth: oauth, store: store),
                    configuration: .init(address: .hostname(configuration.hostname, port: configuration.port), serverName: "wharf"),
                    services: [janitor, flusher, exports], logger: logger)
    }
}
