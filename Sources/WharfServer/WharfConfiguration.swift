import Foundation
import Logging
import NIOCore
import WharfDomain
import Yams

/// The server's settings: command-line options over a YAML file that uses Quay's key names.
public struct WharfConfiguration: Sendable {
    public var hostname = "127.0.0.1"
    public var port = 5000
    public var dataDirectory = "./wharf-data"
    /// `SERVER_HOSTNAME`; defaults to `hostname:port`.
    public var serverHostname: String?
    /// `PREFERRED_URL_SCHEME`.
    public var urlScheme = "http"
    /// `SUPER_USERS`.
    public var superUsers: Set<String> = []
    /// `DB_URI`; nil means SQLite in the data directory.
    public var databaseURI: String?
    /// Local storage path from `DISTRIBUTED_STORAGE_CONFIG`; nil means `<data-dir>/storage`.
    public var storagePath: String?
    /// `FEATURE_USER_INITIALIZE`.
    public var userInitialize = true
    /// `MAXIMUM_LAYER_SIZE` (Quay's default 20G).
    public var maximumLayerSize: Int64 = 20 * 1024 * 1024 * 1024
    /// `PUSH_TEMP_TAG_EXPIRATION_SEC`.
    public var pushTempTagExpiration: Int64 = 3600
    /// `BLOB_UPLOAD_EXPIRATION_SEC` (Wharf's own): abandoned uploads are removed after this long.
    public var uploadExpiration: Int64 = 2 * 24 * 3600
    /// `HTTP_HEADER_TIMEOUT_SEC`, `HTTP_BODY_IDLE_TIMEOUT_SEC`, `HTTP_KEEPALIVE_TIMEOUT_SEC` (Wharf's own).
    public var httpTimeouts = HTTPTimeouts()
    /// `HTTP_MAX_CONNECTIONS` (Wharf's own): open connections at most (kept below the descriptor limit).
    public var maxConnections = 4096
    /// `SHUTDOWN_TIMEOUT_SEC` (Wharf's own): how long a shutdown waits for requests in progress before it
    /// closes their connections (interrupted uploads stay resumable).
    public var shutdownTimeout: Int64 = 30
    /// `STORAGE_RECONCILE_GRACE_SEC` (Wharf's own): how old staged bytes without a session and stored blobs
    /// without a row (a crash's leftovers) must be before they are removed.
    public var storageReconcileGrace: Int64 = 3600
    /// `LOOKUP_CACHE_TTL_SECONDS` (Wharf's own): how long a node may answer a pull by tag from its cache;
    /// its own writes empty the cache at once. 0 disables the cache.
    public var lookupCacheTTL: Double = 1
    /// `DATABASE_SECRET_KEY`: encrypts the secrets that must be shown again (robot and app tokens,
    /// OAuth client secrets). When unset, a key is generated in the data directory; nodes that share
    /// a database must be given the same key.
    public var databaseSecretKey: String?
    /// `FEATURE_SUPERUSERS_FULL_ACCESS`: superusers may read and administer every namespace.
    public var superusersFullAccess = false
    /// `FEATURE_MAILING`: Wharf sends no mail, so this is off unless configured.
    public var mailing = false
    /// `FEATURE_REQUIRE_TEAM_INVITE`: with mailing, users outside an organization are invited to teams.
    public var requireTeamInvite = true
    /// `APP_SPECIFIC_TOKEN_EXPIRATION` (`30d`, `12h`, …); nil: app tokens do not expire.
    public var appTokenLifetime: TimeInterval?
    /// `OUTBOUND_ALLOWED_HOSTS` (Wharf's own): hosts that callbacks may reach although they resolve to
    /// loopback or private addresses (by default such callbacks are refused).
    public var outboundAllowedHosts: Set<String> = []
    /// `DIRECT_OAUTH_CLIENTID_WHITELIST`: OAuth clients a caller with Basic credentials may authorize
    /// without the consent form's CSRF token.
    public var directOAuthClients: Set<String> = []
    /// `REGISTRY_TITLE`: the registry's name (the Portus API's registry name until one is set).
    public var registryTitle = "Wharf"
    /// Portus's `config.yml` switches, as `PORTUS_FIRST_USER_ADMIN`, `PORTUS_DELETE_ENABLED`,
    /// `PORTUS_DELETE_CONTRIBUTORS`, `PORTUS_CREATE_NAMESPACE`, `PORTUS_MANAGE_NAMESPACE`,
    /// `PORTUS_CREATE_TEAM`, `PORTUS_MANAGE_TEAM` and `PORTUS_CHANGE_VISIBILITY`.
    public var portusRules = PortusRules()
    /// Keys of the file that Wharf does not support; reported as warnings.
    public private(set) var ignoredKeys: [String] = []

    public init() {}

    /// The host name clients use, which is also the registry token audience.
    /// What the domain layer takes from the configuration.
    public var domainSettings: DomainSettings {
        var settings = DomainSettings()
        settings.superusersFullAccess = superusersFullAccess
        settings.portusRules = portusRules
        settings.requireTeamInvite = mailing && requireTeamInvite
        settings.appTokenLifetime = appTokenLifetime
        settings.maximumBlobSize = maximumLayerSize
        settings.temporaryLinkSeconds = pushTempTagExpiration
        settings.registryHostname = effectiveServerHostname
        settings.registryUsesSSL = urlScheme == "https"
        settings.registryName = registryTitle
        return settings
    }

    public var effectiveServerHostname: String { serverHostname ?? "\(hostname):\(port)" }
    public var sqlitePath: String { dataDirectory + "/wharf.db" }
    /// The database for messages: `DB_URI` without its password, or the SQLite file.
    public var databaseDescription: String {
        guard let databaseURI else { return sqlitePath }
        guard var components = URLComponents(string: databaseURI), components.password != nil else { return databaseURI }
        components.password = "***"
        return components.string ?? databaseURI
    }
    public var effectiveStoragePath: String { storagePath ?? dataDirectory + "/storage" }
    public var signingKeyPath: String { dataDirectory + "/keys/registry-signing.pem" }
    public var databaseSecretKeyPath: String { dataDirectory + "/keys/database-secret.key" }

    /// Configuration errors that stop the server from starting.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Applies the keys of a Quay-style YAML document.
    public mutating func apply(yaml text: String) throws {
        guard let loaded = try Yams.load(yaml: text) else { return }
        guard let document = loaded as? [String: Any] else { throw Invalid(description: "the configuration file must be a YAML mapping") }
        for (key, value) in document.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "SERVER_HOSTNAME": serverHostname = try string(value, key)
            case "PREFERRED_URL_SCHEME": urlScheme = try string(value, key)
            case "SUPER_USERS":
                guard let list = value as? [Any] else { throw Invalid(description: "SUPER_USERS must be a list") }
                superUsers = Set(list.map { "\($0)" })
            case "DB_URI": databaseURI = try string(value, key)
            case "DISTRIBUTED_STORAGE_CONFIG": storagePath = try Self.localStoragePath(value)
            case "DISTRIBUTED_STORAGE_PREFERENCE", "DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS": break
            case "FEATURE_USER_INITIALIZE": userInitialize = try bool(value, key)
            case "MAXIMUM_LAYER_SIZE": maximumLayerSize = try Self.parseSize(try string(value, key))
            case "PUSH_TEMP_TAG_EXPIRATION_SEC": pushTempTagExpiration = try integer(value, key)
            case "BLOB_UPLOAD_EXPIRATION_SEC": uploadExpiration = try integer(value, key)
            case "STORAGE_RECONCILE_GRACE_SEC": storageReconcileGrace = try integer(value, key)
            case "HTTP_HEADER_TIMEOUT_SEC": httpTimeouts.header = try seconds(value, key)
            case "HTTP_BODY_IDLE_TIMEOUT_SEC": httpTimeouts.bodyIdle = try seconds(value, key)
            case "HTTP_KEEPALIVE_TIMEOUT_SEC": httpTimeouts.keepAlive = try seconds(value, key)
            case "HTTP_MAX_CONNECTIONS":
                maxConnections = Int(try integer(value, key))
                guard maxConnections > 0 else { throw Invalid(description: "HTTP_MAX_CONNECTIONS must be at least 1") }
            case "SHUTDOWN_TIMEOUT_SEC":
                shutdownTimeout = try integer(value, key)
                guard shutdownTimeout >= 0 else { throw Invalid(description: "SHUTDOWN_TIMEOUT_SEC must not be negative") }
            case "LOOKUP_CACHE_TTL_SECONDS":
                guard let seconds = (value as? Double) ?? (value as? Int).map(Double.init), seconds >= 0 else {
                    throw Invalid(description: "LOOKUP_CACHE_TTL_SECONDS must be a number of seconds")
                }
                lookupCacheTTL = seconds
            case "DATABASE_SECRET_KEY": databaseSecretKey = try string(value, key)
            case "OUTBOUND_ALLOWED_HOSTS":
                guard let list = value as? [Any] else { throw Invalid(description: "OUTBOUND_ALLOWED_HOSTS must be a list") }
                outboundAllowedHosts = Set(list.map { "\($0)".lowercased() })
            case "FEATURE_SUPERUSERS_FULL_ACCESS": superusersFullAccess = try bool(value, key)
            case "FEATURE_MAILING": mailing = try bool(value, key)
            case "FEATURE_REQUIRE_TEAM_INVITE": requireTeamInvite = try bool(value, key)
            case "APP_SPECIFIC_TOKEN_EXPIRATION":
                appTokenLifetime = value is NSNull ? nil : try Self.parseDuration(try string(value, key))
            case "REGISTRY_TITLE": registryTitle = try string(value, key)
            case "DIRECT_OAUTH_CLIENTID_WHITELIST":
                guard let list = value as? [Any] else { throw Invalid(description: "DIRECT_OAUTH_CLIENTID_WHITELIST must be a list") }
                directOAuthClients = Set(list.map { "\($0)" })
            case "PORTUS_FIRST_USER_ADMIN": portusRules.firstUserAdmin = try bool(value, key)
            case "PORTUS_DELETE_ENABLED": portusRules.deleteEnabled = try bool(value, key)
            case "PORTUS_DELETE_CONTRIBUTORS": portusRules.deleteContributors = try bool(value, key)
            case "PORTUS_CREATE_NAMESPACE": portusRules.createNamespace = try bool(value, key)
            case "PORTUS_MANAGE_NAMESPACE": portusRules.manageNamespace = try bool(value, key)
            case "PORTUS_CREATE_TEAM": portusRules.createTeam = try bool(value, key)
            case "PORTUS_MANAGE_TEAM": portusRules.manageTeam = try bool(value, key)
            case "PORTUS_CHANGE_VISIBILITY": portusRules.changeVisibility = try bool(value, key)
            default: ignoredKeys.append(key)
            }
        }
    }

    /// Reads `DISTRIBUTED_STORAGE_CONFIG`: `{id: [LocalStorage, {storage_path: …}]}`; other drivers are refused.
    static func localStoragePath(_ value: Any) throws -> String? {
        guard let engines = value as? [String: Any], let (id, entry) = engines.sorted(by: { $0.key < $1.key }).first else {
            throw Invalid(description: "DISTRIBUTED_STORAGE_CONFIG must map a location id to [Driver, {options}]")
        }
        guard let tuple = entry as? [Any], let driver = tuple.first as? String else {
            throw Invalid(description: "DISTRIBUTED_STORAGE_CONFIG.\(id) must be [Driver, {options}]")
        }
        guard driver == "LocalStorage" else {
            throw Invalid(description: "storage driver \(driver) is not supported yet; use LocalStorage")
        }
        return (tuple.dropFirst().first as? [String: Any])?["storage_path"] as? String
    }

    /// The longest duration a setting may name: 100 years.
    static let longestDuration: TimeInterval = 100 * 365 * 86_400

    /// Parses Quay's duration strings (`30d`, `12h`, `15m`, `90s`, `2w`).
    static func parseDuration(_ text: String) throws -> TimeInterval {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let last = trimmed.last, let unit = units[last], let number = Double(trimmed.dropLast()), number > 0,
              number * unit <= longestDuration else {
            throw Invalid(description: "invalid duration \(text) (at most 100 years)")
        }
        return number * unit
    }

    /// Parses Quay's size strings (`20G`, `500M`, `1024`).
    static func parseSize(_ text: String) throws -> Int64 {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "B", with: "")
        if let last = trimmed.last, let unit = units[last], let number = Int64(trimmed.dropLast()) { return number * unit }
        if let number = Int64(trimmed) { return number }
        throw Invalid(description: "invalid size \(text)")
    }

    private func string(_ value: Any, _ key: String) throws -> String {
        if let text = value as? String { return text }
        if let number = value as? Int { return String(number) }
        throw Invalid(description: "\(key) must be a string")
    }

    private func bool(_ value: Any, _ key: String) throws -> Bool {
        guard let flag = value as? Bool else { throw Invalid(description: "\(key) must be true or false") }
        return flag
    }

    /// A positive number of seconds (fractions allowed), at most a day.
    private func seconds(_ value: Any, _ key: String) throws -> TimeAmount {
        guard let seconds = (value as? Double) ?? (value as? Int).map(Double.init), seconds > 0, seconds <= 86_400 else {
            throw Invalid(description: "\(key) must be a number of seconds between 0 and 86400")
        }
        return .nanoseconds(Int64(seconds * 1_000_000_000))
    }

    private func integer(_ value: Any, _ key: String) throws -> Int64 {
        guard let number = value as? Int else { throw Invalid(description: "\(key) must be an integer") }
        return Int64(number)
    }
}
