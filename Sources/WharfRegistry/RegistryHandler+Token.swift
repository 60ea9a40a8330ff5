import Foundation
import HTTPTypes
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfOCI

extension RegistryHandler {
    /// `GET /v2/auth`: Docker token authentication. Takes Basic credentials (a password, or `$oauthtoken`
    /// with an OAuth token) or none, and signs a token granting the requested actions the caller may
    /// perform; actions it may not perform are silently left out, as in Quay. A first push into one's own
    /// namespace creates the repository here.
    func issueToken(_ request: Request, context: CallContext) async throws -> Response {
        let remoteIP = context.remoteIP
        let identity: Identity
        // Several scopes may share one parameter, separated by spaces (a form-encoded space is `+`, which no
        // scope contains otherwise).
        let scopes = request.queryAll("scope").flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "+" }).map(String.init) }
        guard scopes.count <= Self.maximumScopes else {
            throw RegistryError(.invalidRequest, status: 400, "at most \(Self.maximumScopes) scopes may be asked for at once")
        }
        switch Credentials(request: request) {
        case .basic(let username, let password):
            guard let found = try await authorizer.authenticator.authenticate(username: username, password: password) else {
                try? await domain.sessions.recordFailedRegistryLogin(as: username, ip: remoteIP, userAgent: request.headers[.userAgent])
                throw RegistryError(.unauthorized, status: 401, "Invalid Username or Password")
            }
            identity = found
            context.identify(found.account?.username)
            if scopes.isEmpty { try await domain.sessions.recordRegistryLogin(of: identity, ip: remoteIP, userAgent: request.headers[.userAgent]) }
        case .bearer:
            throw RegistryError(.unauthorized, status: 401, "the token endpoint takes Basic credentials")
        case nil:
            if request.headers[.authorization] != nil {
                throw RegistryError(.unauthorized, status: 401, "unsupported Authorization header")
            }
            identity = .anonymous
        }
        if identity.isAnonymous && scopes.isEmpty {
            throw RegistryError(.unauthorized, status: 401, "authentication required")
        }
        let caller = RegistryCaller(identity: identity, claims: nil, ip: remoteIP)
        var grants: [RegistryAccess] = []
        for scope in scopes {
            if scope.hasPrefix("registry:catalog:") { continue }
            let (name, requested) = try parseScope(scope)
            let granted = try await authorizer.grant(requested, caller: caller, name: name)
            grants.append(RegistryAccess(type: "repository", name: name, actions: granted))
        }
        let token = try await tokens.issue(for: identity, access: grants)
        struct Body: Encodable {
            let token: String
            let expires_in: Int
            let issued_at: String
        }
        let issuedAt = ISO8601DateFormatter().string(from: Date())
        return Responses.json(.ok, encoding: Body(token: token, expires_in: Int(tokens.lifetime), issued_at: issuedAt))
    }

    /// The most scopes one token request may name (clients ask for one or two; each costs lookups, and a
    /// push scope may create a repository).
    static let maximumScopes = 20

    /// Parses `repository:<name>:<actions>`; the name may carry the server's host name as a prefix.
    private func parseScope(_ scope: String) throws -> (name: String, actions: [String]) {
        let invalid = RegistryError(.invalidRequest, status: 400, "Unable to decode repository and actions: \(scope)")
        guard scope.hasPrefix("repository:") else { throw invalid }
        let rest = scope.dropFirst("repository:".count)
        guard let colon = rest.lastIndex(of: ":") else { throw invalid }
        var name = String(rest[..<colon])
        let actions = rest[rest.index(after: colon)...].split(separator: ",").map(String.init)
        guard !actions.isEmpty, actions.allSatisfy({ RepositoryAction(rawValue: $0) != nil }) else { throw invalid }
        if name.hasPrefix(configuration.serverHostname + "/") { name.removeFirst(configuration.serverHostname.count + 1) }
        guard RepositoryName(name) != nil else { throw RegistryError.nameInvalid(name) }
        return (name, actions)
    }
}
