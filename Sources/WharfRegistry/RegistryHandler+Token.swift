import Foundation
import HTTPTypes
import Hummingbird
import WharfHTTP
import WharfIdentity
import WharfOCI

extension RegistryHandler {
    /// `GET /v2/auth`: Docker token authentication. Takes Basic credentials (a password, or `$oauthtoken`
    /// with an OAuth token) or none, and signs a token granting the requested actions the caller may
    /// perform; actions it may not perform are silently left out, as in Quay. A first push into one's own
    /// namespace creates the repository here.
    func issueToken(_ request: Request) async throws -> Response {
        let identity: Identity
        switch Credentials(request: request) {
        case .basic(let username, let password):
            guard let found = try await authorizer.authenticator.authenticate(username: username, password: password) else {
                throw RegistryError(.unauthorized, status: 401, "Invalid Username or Password")
            }
            identity = found
        case .bearer:
            throw RegistryError(.unauthorized, status: 401, "the token endpoint takes Basic credentials")
        case nil:
            if request.headers[.authorization] != nil {
                throw RegistryError(.unauthorized, status: 401, "unsupported Authorization header")
            }
            identity = .anonymous
        }
        let scopes = request.queryAll("scope").flatMap { $0.split(separator: " ").map(String.init) }
        if identity.isAnonymous && scopes.isEmpty {
            throw RegistryError(.unauthorized, status: 401, "authentication required")
        }
        let caller = RegistryCaller(identity: identity, claims: nil)
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

    /// Parses `repository:<name>:<actions>`; the name may carry the server's host name as a prefix.
    private func parseScope(_ scope: String) throws -> (name: String, actions: [String]) {
        let invalid = RegistryError(.invalidRequest, status: 400, "Unable to decode repository and actions: \(scope)")
        guard scope.hasPrefix("repository:"), let colon = scope.lastIndex(of: ":") else { throw invalid }
        var name = String(scope[scope.index(scope.startIndex, offsetBy: "repository:".count)..<colon])
        let actions = scope[scope.index(after: colon)...].split(separator: ",").map(String.init)
        guard !actions.isEmpty, actions.allSatisfy({ RegistryAction(rawValue: $0) != nil }) else { throw invalid }
        if name.hasPrefix(configuration.serverHostname + "/") { name.removeFirst(configuration.serverHostname.count + 1) }
        guard RepositoryName(name) != nil else { throw RegistryError.nameInvalid(name) }
        return (name, actions)
    }
}
