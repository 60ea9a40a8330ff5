import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import WharfDomain
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
    public let blobs: BlobStore
    public let authenticator: Authenticator
    public let accounts: AccountService
    /// The domain layer the three APIs share.
    public let domain: Domain
    /// What the Quay API's routes use (the domain and the Quay settings).
    public let quayServices: QuayServices
    public let janitor: UploadJanitor
    /// Delivers the domain's events and writes pull and push counts.
    public let deliverer: EventDeliverer
    /// Carries out queued log exports.
    public let exports: LogExportWorker
    let registry: RegistryHandler
    let quay: QuayAPIHandler
    let portus: PortusAPIHandler
    let oauth: OAuthHandler
    let logger: Logger

    /// Wharf's version, reported by the Portus API's `/api/version`.
    public static let version = "0.5.0"

    /// Opens the data directory, the database (migrating it) and the blob store, and wires the handlers. A
    /// failure is a `StartupError` that names what could not be used.
    public static func assemble(_ configuration: WharfConfiguration, logger: Logger) async throws -> WharfServer {
        try StartupError.wrap("cannot create the data directory \(configuration.dataDirectory)") {
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        }
        for key in configuration.ignoredKeys {
            logger.warning("configuration key is not supported by Wharf and is ignored", metadata: ["key": "\(key)"])
        }
        let store = try await StartupError.wrap("cannot open the database \(configuration.databaseDescription)") {
            try await MetadataStore.open(uri: configuration.databaseURI, defaultSQLitePath: configuration.sqlitePath,
                                         lookupCacheTTL: configuration.lookupCacheTTL, logger: logger)
        }
        let blobs = try StartupError.wrap("cannot use the storage directory \(configuration.effectiveStoragePath)") {
            BlobStore(driver: try FilesystemDriver(root: configuration.effectiveStoragePath, logger: logger))
        }
        let authenticator = Authenticator(store: store, superUsers: configuration.superUsers)
        let tokens = try await StartupError.wrap("cannot load the registry signing key \(configuration.signingKeyPath)") {
            try await RegistryTokenService(keyPath: configuration.signingKeyPath, issuer: "quay",
                                           audience: configuration.effectiveServerHostname, store: store)
        }
        let registryConfiguration = RegistryConfiguration(
            serverHostname: configuration.effectiveServerHostname, urlScheme: configuration.urlScheme,
            maximumBlobSize: configuration.maximumLayerSize, temporaryLinkSeconds: configuration.pushTempTagExpiration)
        let activity = RepositoryActivity()
        let sealer = try StartupError.wrap("cannot load the database secret key") {
            try SecretSealer.load(configured: configuration.databaseSecretKey, path: configuration.databaseSecretKeyPath)
        }
        let domain = Domain(store: store, blobs: blobs, authenticator: authenticator, sealer: sealer,
                            settings: configuration.domainSettings, logger: logger)
        var settings = QuaySettings(serverHostname: configuration.effectiveServerHostname, urlScheme: configuration.urlScheme,
                                    userInitialize: configuration.userInitialize, superusersFullAccess: configuration.superusersFullAccess,
                                    mailing: configuration.mailing, requireTeamInvite: configuration.requireTeamInvite,
                                    appTokenLifetime: configuration.appTokenLifetime)
        settings.directOAuthClients = configuration.directOAuthClients
        let services = QuayServices(domain: domain, settings: settings)
        let deliverer = EventDeliverer(events: domain.events, activity: activity, store: store, interval: .seconds(1),
                                       countInterval: .seconds(5), logger: logger)
        let registry = RegistryHandler(configuration: registryConfiguration, domain: domain, tokens: tokens, activity: activity, logger: logger)
        let quay = QuayAPIHandler(routes: QuayRouteTable.routes(services), services: services, logger: logger)
        let oauth = OAuthHandler(services: services, api: quay)
        let portusSettings = PortusSettings(hostname: configuration.effectiveServerHostname, useSSL: configuration.urlScheme == "https",
                                            defaultRegistryName: configuration.registryTitle, version: version, rules: configuration.portusRules)
        let portus = PortusAPIHandler(services: PortusServices(domain: domain, settings: portusSettings, logger: logger), logger: logger)
        let exports = LogExportWorker(store: store, exports: domain.logExports, baseURL: "\(configuration.urlScheme)://\(configuration.effectiveServerHostname)",
                                      policy: OutboundURLPolicy(allowedHosts: configuration.outboundAllowedHosts),
                                      interval: .seconds(2), logger: logger)
        let janitor = UploadJanitor(store: store, blobs: blobs, uploads: domain.uploads, expirySeconds: configuration.uploadExpiration,
                                    graceSeconds: configuration.storageReconcileGrace, interval: .seconds(600),
                                    blobInterval: .seconds(3600), logger: logger)
        return WharfServer(configuration: configuration, store: store, blobs: blobs, authenticator: authenticator,
                           accounts: domain.accounts, domain: domain, quayServices: services, janitor: janitor, deliverer: deliverer, exports: exports, registry: registry,
                           quay: quay, portus: portus, oauth: oauth, logger: logger)
    }

    /// The HTTP application listening on the configured address, with its connection guards.
    public func application() -> some ApplicationProtocol {
        application(connectionLimit: configuration.maxConnections, onListening: { _ in }, connections: OpenConnections())
    }

    /// The application, allowing `connectionLimit` open connections; `onListening` runs once the port is bound,
    /// and `connections` keeps the open connections, for a bounded shutdown.
    func application(connectionLimit: Int, onListening: @escaping @Sendable (any Channel) async -> Void,
                     connections: OpenConnections) -> some ApplicationProtocol {
        let limit = ConnectionLimit(maximum: connectionLimit, logger: logger)
        return Application(responder: WharfResponder(registry: registry, quay: quay, portus: portus, oauth: oauth, store: store, logger: logger),
                           server: .guardedHTTP1(timeouts: configuration.httpTimeouts, connections: connections, logger: logger),
                           configuration: .init(address: .hostname(configuration.hostname, port: configuration.port), serverName: "wharf",
                                                availableConnectionsDelegate: limit),
                           services: [janitor, deliverer, exports], onServerRunning: onListening, logger: logger)
    }

    /// Serves until SIGTERM or SIGINT. A shutdown lets requests in progress finish for
    /// `SHUTDOWN_TIMEOUT_SEC`, then closes their connections (an upload cut off so can be resumed).
    public func run(connectionLimit: Int, onListening: @escaping @Sendable (any Channel) async -> Void) async throws {
        let connections = OpenConnections()
        let service = BoundedShutdown(application: application(connectionLimit: connectionLimit, onListening: onListening, connections: connections),
                                      connections: connections, timeout: .seconds(configuration.shutdownTimeout), logger: logger)
        try await ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
    }
}

/// Runs the application; once a graceful shutdown has waited `timeout` for the requests in progress, closes
/// their connections, so that a slow client cannot hold the shutdown up.
struct BoundedShutdown<App: ApplicationProtocol>: Service {
    let application: App
    let connections: OpenConnections
    let timeout: Duration
    let logger: Logger

    func run() async throws {
        let deadline = NIOLockedValueBox<Task<Void, Never>?>(nil)
        try await withGracefulShutdownHandler {
            try await application.run()
        } onGracefulShutdown: { [connections, timeout, logger] in
            let open = connections.count
            if open > 0 { logger.info("shutting down: waiting for requests in progress", metadata: ["connections": "\(open)", "timeout": "\(timeout)"]) }
            deadline.withLockedValue { $0 = Task {
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                let closed = connections.closeAll()
                if closed > 0 {
                    logger.warning("shutdown timeout: closed connections still in progress; interrupted uploads can be resumed",
                                   metadata: ["connections": "\(closed)"])
                }
            } }
        }
        deadline.withLockedValue { $0?.cancel() }
    }
}
