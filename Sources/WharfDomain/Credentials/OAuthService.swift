import Foundation
import WharfMetadata

/// An OAuth 2 error (RFC 6749 §5.2), rendered as `{"error": …, "error_description": …}`.
public struct OAuthError: Error, Sendable, Equatable {
    public let code: String
    public let description: String
    public let status: Int

    // The error codes of RFC 6749 §4.1.2.1 and §5.2, with their HTTP status.
    public static func invalidRequest(_ description: String) -> OAuthError { .init(code: "invalid_request", description: description, status: 400) }
    public static func invalidClient(_ description: String) -> OAuthError { .init(code: "invalid_client", description: description, status: 401) }
    public static func invalidGrant(_ description: String) -> OAuthError { .init(code: "invalid_grant", description: description, status: 400) }
    public static func invalidScope(_ description: String) -> OAuthError { .init(code: "invalid_scope", description: description, status: 400) }
    public static func unsupportedGrantType(_ description: String) -> OAuthError { .init(code: "unsupported_grant_type", description: description, status: 400) }
    public static func unsupportedResponseType(_ description: String) -> OAuthError { .init(code: "unsupported_response_type", description: description, status: 400) }
}

/// OAuth applications of organizations, and the authorization-code and implicit flows that issue
/// API tokens through them.
public struct OAuthService: Sendable {
    let store: MetadataStore
    let sealer: SecretSealer
    let authenticator: Authenticator

    /// Lifetime of tokens issued through an application (Quay: 10 years).
    public static let tokenLifetime: TimeInterval = 10 * 365 * 86_400
    /// Lifetime of an authorization code.
    static let codeLifetimeMs: Int64 = 10 * 60 * 1000

    public init(store: MetadataStore, sealer: SecretSealer, authenticator: Authenticator) {
        self.store = store
        self.sealer = sealer
        self.authenticator = authenticator
    }

    /// The descriptive fields of an application.
    public struct ApplicationFields: Sendable {
        public let name: String
        public let description: String
        public let applicationURI: String
        public let redirectURI: String
        public let avatarEmail: String?

        public init(name: String, description: String, applicationURI: String, redirectURI: String, avatarEmail: String?) {
            self.name = name
            self.description = description
            self.applicationURI = applicationURI
            self.redirectURI = redirectURI
            self.avatarEmail = avatarEmail
        }
    }

    /// Registers an application with a new client id and secret.
    public func createApplication(_ organization: AccountRecord, fields: ApplicationFields, by performer: Performer) async throws -> OAuthApplicationRecord {
        guard !fields.name.trimmingCharacters(in: .whitespaces).isEmpty else { throw DomainError.invalidRequest("Missing application name") }
        let secret = Secrets.randomToken(length: 40)
        let sealed = try sealer.seal(secret)
        return try await store.transaction { tx in
            let application = try await tx.createApplication(
                organizationID: organization.id, clientID: Self.clientID(), secretHash: Secrets.sha256Hex(secret), secretSealed: sealed,
                name: fields.name, description: fields.description, applicationURI: fields.applicationURI, redirectURI: fields.redirectURI,
                avatarEmail: fields.avatarEmail)
            try await tx.emit(.createApplication, namespace: organization, by: performer,
                              details: ["application_name": fields.name, "client_id": application.clientId])
            return application
        }
    }

    /// The application `clientID` of the organization.
    public func application(_ organization: AccountRecord, clientID: String) async throws -> OAuthApplicationRecord {
        guard let application = try await store.application(clientID: clientID), application.organizationId == organization.id else {
            throw DomainError.notFound
        }
        return application
    }

    /// The application's client secret in plain text.
    public func secret(of application: OAuthApplicationRecord) -> String? { sealer.open(application.clientSecretSealed) }

    /// Changes an application's name, description, URIs and avatar e-mail.
    public func updateApplication(_ application: OAuthApplicationRecord, organization: AccountRecord, fields: ApplicationFields,
                                  by performer: Performer) async throws -> OAuthApplicationRecord {
        return try await store.transaction { tx in
            try await tx.updateApplication(id: application.id, name: fields.name, description: fields.description,
                                           applicationURI: fields.applicationURI, redirectURI: fields.redirectURI, avatarEmail: fields.avatarEmail)
            try await tx.emit(.updateApplication, namespace: organization, by: performer,
                              details: ["application_name": fields.name, "client_id": application.clientId])
            return try await tx.application(clientID: application.clientId) ?? application
        }
    }

    /// Deletes an application and every token issued through it.
    public func deleteApplication(_ application: OAuthApplicationRecord, organization: AccountRecord, by performer: Performer) async throws {
        try await store.transaction { tx in
            try await tx.deleteApplication(id: application.id)
            try await tx.emit(.deleteApplication, namespace: organization, by: performer,
                              details: ["application_name": application.name, "client_id": application.clientId])
        }
        authenticator.forgetCachedCredentials()
    }

    /// Checks an authorization request: the application exists, the redirect URI is under the one it
    /// registered, and the scopes are known. Returns the application and scopes.
    public func validate(clientID: String, redirectURI: String?, scope: String) async throws -> (OAuthApplicationRecord, Set<Scope>, String) {
        guard let application = try await store.application(clientID: clientID) else { throw OAuthError.invalidClient("Unknown client id") }
        let redirect = redirectURI ?? application.redirectUri
        guard Self.redirect(redirect, isUnder: application.redirectUri) else {
            throw OAuthError.invalidRequest("The redirect URI does not match the application's")
        }
        let scopes = Scope.parseList(scope)
        guard !scopes.isEmpty else { throw OAuthError.invalidScope("Unknown or missing scope") }
        return (application, scopes, redirect)
    }

    /// Grants the application access on behalf of `user`: an authorization code (code flow) to exchange
    /// at the token endpoint.
    public func issueCode(application: OAuthApplicationRecord, user: AccountRecord, scopes: Set<Scope>, redirectURI: String) async throws -> String {
        let code = Secrets.randomToken(length: 40)
        try await store.transaction { tx in
            try await tx.createAuthorizationCode(applicationID: application.id, accountID: user.id, codeName: String(code.prefix(20)),
                                                    codeHash: Secrets.sha256Hex(String(code.suffix(20))), scopes: Scope.render(scopes),
                                                    redirectURI: redirectURI, expiresMs: MetadataStore.nowMs() + Self.codeLifetimeMs)
        }
        return code
    }

    /// Grants the application access on behalf of `user` directly (implicit flow): an access token.
    public func issueToken(application: OAuthApplicationRecord, user: AccountRecord, scopes: Set<Scope>, by performer: Performer) async throws -> String {
        try await store.transaction { tx in
            let token = try await authenticator.mintOAuthToken(for: user, scopes: scopes, lifetime: Self.tokenLifetime, applicationID: application.id,
                                                               in: tx)
            try await tx.emit(.oauthTokenAssigned, namespace: user, by: performer,
                              details: ["application": application.name, "client_id": application.clientId, "scope": Scope.render(scopes)])
            return token
        }
    }

    /// Exchanges an authorization code for an access token (the client authenticates with its secret).
    /// The redirect URI must be the one the code was issued for, and a scope, when given, the one granted.
    public func exchange(clientID: String, clientSecret: String, code: String, redirectURI: String?, scope: String?,
                         ip: String?) async throws -> (token: String, scopes: Set<Scope>) {
        guard let application = try await store.application(clientID: clientID),
              Secrets.constantTimeEquals(application.clientSecretHash, Secrets.sha256Hex(clientSecret)) else {
            throw OAuthError.invalidClient("Invalid client id or secret")
        }
        guard code.utf8.count == 40, let stored = try await store.transaction({ tx in try await tx.takeAuthorizationCode(codeName: String(code.prefix(20))) }),
              Secrets.constantTimeEquals(stored.codeHash, Secrets.sha256Hex(String(code.suffix(20)))),
              stored.applicationId == application.id, stored.expiresMs > MetadataStore.nowMs() else {
            throw OAuthError.invalidGrant("Invalid or expired authorization code")
        }
        guard redirectURI == stored.redirectUri else { throw OAuthError.invalidGrant("The redirect URI does not match") }
        guard let user = try await store.account(id: stored.accountId), user.enabled else { throw OAuthError.invalidGrant("Unknown user") }
        let scopes = Scope.parseList(stored.scopes)
        if let scope, Scope.parseList(scope) != scopes { throw OAuthError.invalidScope("The scope differs from the one granted") }
        let identity = Identity(kind: .user, account: user, scopes: nil, isSuperuser: false)
        let token = try await issueToken(application: application, user: user, scopes: scopes, by: Performer(identity: identity, ip: ip))
        return (token, scopes)
    }

    /// Whether `candidate` is the registered redirect URI or below it: same scheme, host and port, and a
    /// path equal to the registered one or under it at a `/` (so `https://app.example` does not admit
    /// `https://app.example.evil.com` or `https://app.example@evil.com`). Quay checks a bare string prefix.
    static func redirect(_ candidate: String, isUnder registered: String) -> Bool {
        guard let wanted = URLComponents(string: registered), let given = URLComponents(string: candidate),
              let scheme = wanted.scheme?.lowercased(), ["http", "https"].contains(scheme), given.scheme?.lowercased() == scheme,
              let host = wanted.host?.lowercased(), !host.isEmpty, given.host?.lowercased() == host,
              given.port == wanted.port, given.user == nil, given.password == nil, wanted.fragment == nil, given.fragment == nil else {
            return false
        }
        let base = wanted.path.hasSuffix("/") ? wanted.path : wanted.path + "/"
        return given.path == wanted.path || given.path.hasPrefix(base) || (wanted.path.isEmpty && given.path.hasPrefix("/"))
    }

    /// 20 characters of `[A-Z0-9]`, as Quay's client ids.
    static func clientID() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }, as: UTF8.self)
    }
}
