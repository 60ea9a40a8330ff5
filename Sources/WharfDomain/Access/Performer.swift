import WharfMetadata

/// The caller of a domain operation as events record it: who and from which address.
public struct Performer: Sendable {
    public let identity: Identity
    public let ip: String?
    /// The user's name when the account was not looked up (a registry token's user); the audit log
    /// resolves it when it writes the entry.
    public let name: String?

    public init(identity: Identity, ip: String?, name: String? = nil) {
        self.identity = identity
        self.ip = ip
        self.name = name
    }

    public var account: AccountRecord? { identity.account }
}
