import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// Who is calling the API: from an OAuth bearer token, a signed-in session cookie, or nobody.
public struct APICaller: Sendable {
    public let identity: Identity
    /// The session, when the caller is signed in with a cookie (its writes need the CSRF token).
    public let session: ActiveSession?
    public let ip: String?

    /// The name of the session cookie (Quay's).
    static let sessionCookie = "_csrf_token"

    var performer: Performer { Performer(identity: identity, ip: ip) }

    /// The caller's account, or the refusal for anonymous callers (401).
    func account() throws -> AccountRecord {
        guard let account = identity.account else { throw QuayAPIError.requiresAuthentication }
        return account
    }

    /// The caller's own user account when the credential may administer it (`user:admin`); 401
    /// anonymous, 403 otherwise.
    func administeredAccount(_ policy: AccessPolicy) throws -> AccountRecord {
        let account = try account()
        guard policy.administersUser(identity, username: account.username) else { throw QuayAPIError.unauthorized }
        return account
    }

    /// The refusal for this caller: 401 when anonymous, 403 otherwise.
    var refusal: QuayAPIError { QuayAPIError.refusal(for: identity) }

    /// Identifies the caller: `Authorization: Bearer <OAuth token>` (checked through the authenticator's
    /// short-lived cache, as `$oauthtoken`) or the session cookie. Basic credentials are not accepted by
    /// Quay's API and count as anonymous.
    static func resolve(_ request: Request, ip: String?, services: QuayServices) async throws -> APICaller {
        if case .bearer(let token) = Credentials(request: request) {
            guard let identity = try await services.authenticator.authenticate(username: "$oauthtoken", password: token) else {
                throw QuayAPIError.invalidToken
            }
            return APICaller(identity: identity, session: nil, ip: ip)
        }
        if let cookie = request.cookie(sessionCookie), let session = try await services.sessions.resolve(cookieValue: cookie) {
            return APICaller(identity: session.identity, session: session, ip: ip)
        }
        return APICaller(identity: .anonymous, session: nil, ip: ip)
    }

    /// Session writes must carry the session's CSRF token (`X-CSRF-Token` or `_csrf_token`).
    func checkCSRF(_ request: Request) throws {
        guard let session, ![.get, .head, .options].contains(request.method) else { return }
        let presented = request.headers[HTTPField.Name("X-CSRF-Token")!] ?? request.query("_csrf_token") ?? ""
        guard Secrets.constantTimeEquals(presented, session.csrfToken) else { throw QuayAPIError.csrfMissing }
    }
}
