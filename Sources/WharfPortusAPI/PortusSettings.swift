import WharfDomain

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
