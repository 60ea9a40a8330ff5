/// Settings of the registry protocol, from the server configuration.
public struct RegistryConfiguration: Sendable {
    /// `SERVER_HOSTNAME`: host and port clients use; the token audience and service name.
    public var serverHostname: String
    /// `PREFERRED_URL_SCHEME`.
    public var urlScheme: String
    /// `MAXIMUM_LAYER_SIZE` in bytes.
    public var maximumBlobSize: Int64
    /// `PUSH_TEMP_TAG_EXPIRATION_SEC`: how long an upload or an untagged manifest stays linked.
    public var temporaryLinkSeconds: Int64
    /// Largest manifest accepted.
    public var maximumManifestSize: Int = 4 * 1024 * 1024
    /// Largest `n` on tag and catalog listings (Quay's page size).
    public var pageSize: Int = 100

    public init(serverHostname: String, urlScheme: String, maximumBlobSize: Int64, temporaryLinkSeconds: Int64) {
        self.serverHostname = serverHostname
        self.urlScheme = urlScheme
        self.maximumBlobSize = maximumBlobSize
        self.temporaryLinkSeconds = temporaryLinkSeconds
    }

    /// The token endpoint advertised in challenges.
    var realm: String { "\(urlScheme)://\(serverHostname)/v2/auth" }
}
