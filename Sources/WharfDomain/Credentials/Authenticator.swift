import Foundation
import NIOConcurrencyHelpers
import WharfMetadata

/// Checks credentials: user passwords, robot tokens (`namespace+robot`), app-specific tokens (`$app`) and
/// OAuth access tokens (directly, or as the `$oauthtoken` user).
///
/// bcrypt is deliberately slow, so a successful check is remembered for a short time under a SHA-256 of
/// the credentials; clients that send Basic credentials with every request pay for bcrypt once.
public final class Authenticator: Sendable {
    private let store: MetadataStore
    private let superUsers: Set<String>
    private let cache = NIOLockedValueBox(RememberedChecks())
    private let inFlight = NIOLockedValueBox([String: Task<Identity?, any Error>]())
    private let cacheLifetime: TimeInterval = 30
    private let cacheCapacity = 10_000

    public init(store: MetadataStore, superUsers: Set<String>) {
        self.store = store
        self.superUsers = superUsers
    }

    /// Authenticates Basic credentials; nil when they are wrong.
    ///
    /// Concurrent requests with the same credentials share one check ("single flight"), so a client that
    /// opens many connections at once costs one bcrypt, not one per connection.
    public func authenticate(username: String, password: String) async throws -> Identity? {
        try await remembered(Secrets.sha256Hex(username + "\u{0}" + password)) {
            try await self.check(username: username, password: password)
        }
    }

    /// A check of the same credentials made less than `cacheLifetime` ago, or a new one (shared by the
    /// concurrent callers that ask for it); successes are remembered under `key`.
    private func remembered(_ key: String, check body: @escaping @Sendable () async throws -> Identity?) async throws -> Identity? {
        if let hit = cache.withLockedValue({ $0.entries[key] }), hit.expires > Date() { return hit.identity }
        let startedAt = cache.withLockedValue { $0.generation }
        let check = inFlight.withLockedValue { checks in
            if let running = checks[key] { return running }
            let started = Task { try await body() }
            checks[key] = started
            return started
        }
        let identity: Identity?
        do {
            identity = try await check.value
        } catch {
            inFlight.withLockedValue { if $0[key] == check { $0[key] = nil } }
            throw error
        }
        inFlight.withLockedValue { if $0[key] == check { $0[key] = nil } }
        remember(identity, under: key, checkedAt: startedAt)
        return identity
    }

    private func check(username: String, password: String) async throws -> Identity? {
        if username == "$oauthtoken" { return try await authenticate(oauthToken: password) }
        if username == "$app" { return try await authenticate(appToken: password) }
        if username.contains("+") { return try await authenticateRobot(username: username, token: password) }
        if password.utf8.count == AppTokenFormat.length { return try await authenticate(username: username, appToken: password) }
        return try await authenticatePassword(username: username, password: password)
    }

    /// A user's own application token given with its user name (a Portus token as a `docker login`
    /// password, or in `Portus-Auth`); nil unless the token is the user's. Passwords are at most 72
    /// bytes, so a token-length secret is never a password. Successes are remembered as password checks are.
    public func authenticate(username: String, appToken token: String) async throws -> Identity? {
        try await remembered(Secrets.sha256Hex("token\u{0}" + username + "\u{0}" + token)) {
            guard let identity = try await self.authenticate(appToken: token), identity.account?.username == username else { return nil }
            return identity
        }
    }

    /// A robot logs in with its full name (`namespace+short`) and its token; its owner must be enabled.
    private func authenticateRobot(username: String, token: String) async throws -> Identity? {
        guard let robot = try await store.robot(named: username),
              Secrets.constantTimeEquals(robot.tokenHash, Secrets.sha256Hex(token)),
              let account = try await store.account(id: robot.accountId), account.enabled,
              let owner = try await store.account(id: robot.ownerId), owner.enabled else { return nil }
        try await store.transaction { tx in try await tx.touchRobot(accountID: robot.accountId) }
        return Identity(kind: .robot, account: account, scopes: nil, isSuperuser: false)
    }

    /// An application-specific token: its first half names it, its second half is the secret.
    public func authenticate(appToken token: String) async throws -> Identity? {
        guard let (name, secret) = AppTokenFormat.split(token), let record = try await store.appToken(named: name),
              Secrets.constantTimeEquals(record.tokenHash, Secrets.sha256Hex(secret)) else { return nil }
        if let expires = record.expiresMs, expires <= MetadataStore.nowMs() { return nil }
        guard let account = try await store.account(id: record.accountId), account.enabled else { return nil }
        if record.lastAccessedMs.map({ MetadataStore.nowMs() - $0 > 60_000 }) ?? true {
            try await store.transaction { tx in try await tx.touchAppToken(id: record.id) }
        }
        return Identity(kind: .appSpecificToken, account: account, scopes: nil, isSuperuser: isSuperuser(account),
                        tokenUUID: record.uuid)
    }

    private func remember(_ identity: Identity?, under key: String, checkedAt: Int) {
        let now = Date()
        guard let identity else { return }
        cache.withLockedValue { cache in
            guard cache.generation == checkedAt else { return }
            if cache.entries.count >= cacheCapacity { cache.entries = cache.entries.filter { $0.value.expires > now } }
            if cache.entries.count < cacheCapacity { cache.entries[key] = (identity, now.addingTimeInterval(cacheLifetime)) }
        }
    }

    /// Checks a password. After `LoginThrottle.freeAttempts` failures in a row, the account must wait
    /// (doubling each time, up to `LoginThrottle.maximumDelay`) before the next try is even checked.
    private func authenticatePassword(username: String, password: String) async throws -> Identity? {
        guard let account = try await store.account(named: username), !account.isOrganization, !account.isRobot,
              account.enabled, let hash = account.passwordHash else { return nil }
        let failures = try await store.failedLogins(accountID: account.id)
        if let wait = LoginThrottle.delay(failures: failures.count, lastMs: failures.lastMs, nowMs: MetadataStore.nowMs()) {
            throw LoginThrottle.TooManyAttempts(retryAfter: wait)
        }
        guard try await Secrets.verifyPassword(password, hash: hash) else {
            try await store.transaction { tx in try await tx.recordFailedLogin(accountID: account.id) }
            return nil
        }
        if failures.count > 0 { try await store.transaction { tx in try await tx.resetFailedLogins(accountID: account.id) } }
        return Identity(kind: .user, account: account, scopes: nil, isSuperuser: isSuperuser(account))
    }

    /// Authenticates an OAuth access token; nil when it is unknown, wrong or expired.
    public func authenticate(oauthToken token: String) async throws -> Identity? {
        guard let (name, code) = OAuthTokenFormat.split(token),
              let record = try await store.accessToken(named: name),
              Secrets.constantTimeEquals(record.tokenCodeHash, Secrets.sha256Hex(code)) else { return nil }
        if let expires = record.expiresMs, expires <= MetadataStore.nowMs() { return nil }
        guard let account = try await store.account(id: record.accountId), account.enabled else { return nil }
        return Identity(kind: .oauthToken, account: account, scopes: Scope.parseList(record.scopes),
                        isSuperuser: isSuperuser(account), tokenUUID: record.uuid)
    }

    /// Mints an OAuth access token for `account` in `tx` and returns it; only its hash is stored.
    public func mintOAuthToken(for account: AccountRecord, scopes: Set<Scope>, lifetime: TimeInterval?, applicationID: Int64? = nil,
                               in tx: StoreTransaction) async throws -> String {
        let token = Secrets.randomToken(length: OAuthTokenFormat.length)
        let (name, code) = OAuthTokenFormat.split(token)!
        let expires = lifetime.map { MetadataStore.nowMs() + Int64($0 * 1000) }
        try await tx.createAccessToken(accountID: account.id, tokenName: name, codeHash: Secrets.sha256Hex(code),
                                       scopes: Scope.render(scopes), expiresMs: expires, applicationID: applicationID)
        return token
    }

    /// Mints an OAuth access token for `account` (by `performer`, recorded as `create_oauth_api_token`).
    public func mintOAuthToken(for account: AccountRecord, scopes: Set<Scope>, lifetime: TimeInterval?, by performer: Performer?,
                               via: String? = nil) async throws -> String {
        try await store.transaction { tx in
            let token = try await mintOAuthToken(for: account, scopes: scopes, lifetime: lifetime, in: tx)
            try await tx.emit(.createOAuthAPIToken, namespace: account, by: performer, details: ["scope": Scope.render(scopes), "via": via])
            return token
        }
    }

    /// Forgets every remembered credential check (after a token or password is revoked or replaced on
    /// this node; other nodes forget theirs within `cacheLifetime`).
    public func forgetCachedCredentials() {
        cache.withLockedValue { cache in
            cache.generation += 1
            cache.entries.removeAll()
        }
        inFlight.withLockedValue { $0.removeAll() }
    }

    /// The identity of a signed-in session's account (a direct login: unscoped).
    public func identity(ofSessionAccount accountID: Int64) async throws -> Identity? {
        guard let account = try await store.account(id: accountID), account.enabled, !account.isOrganization, !account.isRobot else { return nil }
        return Identity(kind: .user, account: account, scopes: nil, isSuperuser: isSuperuser(account))
    }

    /// Checks a user's password without caching (for sign-in).
    public func verifyPassword(username: String, password: String) async throws -> Identity? {
        try await authenticatePassword(username: username, password: password)
    }

    /// Whether `username` is listed in `SUPER_USERS`.
    public func isSuperuser(_ username: String) -> Bool { superUsers.contains(username) }

    /// Whether the account is a superuser: listed in `SUPER_USERS`, or made one in the database (a Portus
    /// administrator).
    public func isSuperuser(_ account: AccountRecord) -> Bool { account.superuser || superUsers.contains(account.username) }
}

/// Successful credential checks remembered for a short time; `generation` is bumped when they are all
/// forgotten, so a check that started before then (and may have read a revoked token) is not remembered.
struct RememberedChecks {
    var generation = 0
    var entries: [String: (identity: Identity, expires: Date)] = [:]
}

/// Quay's OAuth token shape: 40 characters, the first 20 a lookup name, the last 20 the secret code.
enum OAuthTokenFormat {
    static let length = 40

    static func split(_ token: String) -> (name: String, code: String)? {
        guard token.utf8.count == length else { return nil }
        return (String(token.prefix(length / 2)), String(token.suffix(length / 2)))
    }
}

/// Quay's app-specific token shape: 120 characters, the first 60 a lookup name, the last 60 the secret.
public enum AppTokenFormat {
    public static let length = 120

    /// The lookup name and the secret of a token; nil when it has the wrong length.
    public static func split(_ token: String) -> (name: String, secret: String)? {
        guard token.utf8.count == length else { return nil }
        return (String(token.prefix(length / 2)), String(token.suffix(length / 2)))
    }
}
