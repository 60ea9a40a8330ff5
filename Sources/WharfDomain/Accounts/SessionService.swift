import Foundation
import WharfMetadata

/// A resolved browser session: who it belongs to and the CSRF token its writes must carry.
public struct ActiveSession: Sendable {
    public let identity: Identity
    public let csrfToken: String
    public let cookieValue: String
}

/// Session sign-in for the API (`POST /api/v1/signin`): a cookie whose secret part is stored hashed,
/// kept in the database so every node recognises it.
public struct SessionService: Sendable {
    let store: MetadataStore
    let authenticator: Authenticator
    /// How long a session lasts.
    public static let lifetime: TimeInterval = 7 * 86_400

    public init(store: MetadataStore, authenticator: Authenticator) {
        self.store = store
        self.authenticator = authenticator
    }

    /// Signs `username` in; nil when the credentials are wrong (the failure is logged).
    public func signIn(username: String, password: String, ip: String?) async throws -> ActiveSession? {
        guard let identity = try await authenticator.verifyPassword(username: username, password: password), let account = identity.account else {
            try await store.transaction { tx in
                let account = try await tx.account(named: username)
                try await tx.emit(.loginFailure, namespace: account, by: Performer(identity: .anonymous, ip: ip),
                                  details: ["type": "quayauth", "username": username, "message": "Invalid Username or Password"])
            }
            return nil
        }
        return try await store.transaction { tx in
            let session = try await open(for: identity, account: account, tx: tx)
            try await tx.recordSignIn(accountID: account.id)
            try await tx.emit(.loginSuccess, namespace: account, by: Performer(identity: identity, ip: ip), details: ["type": "quayauth", "useragent": nil])
            return session
        }
    }

    /// A session for a caller already authenticated another way (Basic credentials at the OAuth consent
    /// endpoint), as Quay's Flask session is: it carries the CSRF token the consent form is sent back with.
    public func open(for identity: Identity) async throws -> ActiveSession {
        guard let account = identity.account else { throw DomainError.forbidden }
        return try await store.transaction { tx in try await open(for: identity, account: account, tx: tx) }
    }

    private func open(for identity: Identity, account: AccountRecord, tx: StoreTransaction) async throws -> ActiveSession {
        let name = Secrets.randomToken(length: 20)
        let secret = Secrets.randomToken(length: 40)
        let csrf = Secrets.randomToken(length: 40)
        try await tx.createSession(name: name, secretHash: Secrets.sha256Hex(secret), csrfToken: csrf, accountID: account.id,
                                   expiresMs: MetadataStore.nowMs() + Int64(Self.lifetime * 1000))
        return ActiveSession(identity: identity, csrfToken: csrf, cookieValue: name + secret)
    }

    /// The session a cookie value names, if it is valid and unexpired.
    public func resolve(cookieValue: String) async throws -> ActiveSession? {
        guard cookieValue.utf8.count == 60 else { return nil }
        let name = String(cookieValue.prefix(20))
        guard let session = try await store.session(named: name),
              Secrets.constantTimeEquals(session.sessionHash, Secrets.sha256Hex(String(cookieValue.suffix(40)))),
              session.expiresMs > MetadataStore.nowMs(),
              let identity = try await authenticator.identity(ofSessionAccount: session.accountId) else { return nil }
        return ActiveSession(identity: identity, csrfToken: session.csrfToken, cookieValue: cookieValue)
    }

    /// Ends a session.
    public func signOut(_ session: ActiveSession, ip: String?) async throws {
        try await store.transaction { tx in
            try await tx.deleteSession(named: String(session.cookieValue.prefix(20)))
            try await tx.emit(.logoutSuccess, namespace: session.identity.account, by: Performer(identity: session.identity, ip: ip))
        }
    }

    /// A `docker login` (a registry token asked for without scopes) is a sign-in: `login_success`, in the
    /// robot owner's log for a robot, as in Quay.
    public func recordRegistryLogin(of identity: Identity, ip: String?, userAgent: String?) async throws {
        guard let account = identity.account else { return }
        var namespace = account
        if identity.kind == .robot, let robot = try await store.robot(named: account.username),
           let owner = try await store.account(id: robot.ownerId) {
            namespace = owner
        }
        try await store.transaction { tx in
            try await tx.emit(.loginSuccess, namespace: namespace, by: Performer(identity: identity, ip: ip),
                              details: ["type": "v2auth", "kind": identity.kind.rawValue, "useragent": userAgent, "username": account.username])
        }
    }

    /// Credentials refused at the registry's token endpoint: `login_failure` in the named account's log.
    public func recordFailedRegistryLogin(as username: String, ip: String?, userAgent: String?) async throws {
        let account = username.hasPrefix("$") ? nil : try await store.account(named: username)
        try await store.transaction { tx in
            try await tx.emit(.loginFailure, namespace: account, by: Performer(identity: .anonymous, ip: ip),
                              details: ["type": "v2auth", "useragent": userAgent, "username": username, "message": "Invalid Username or Password"])
        }
    }
}
