import Foundation
import Hummingbird
import Logging
import WharfHTTP
import WharfDomain
import WharfMetadata

/// Quay's OAuth 2 endpoints outside `/api/v1`: `/oauth/authorize` (consent), `/oauth/authorizeapp`
/// (grant, code or implicit flow), `/oauth/access_token` (code exchange), and `/csrf_token` for
/// signed-in sessions. All work without a browser: a session cookie from `POST /api/v1/signin`
/// and plain form posts are enough.
public struct OAuthHandler: Sendable {
    let services: QuayServices
    let api: QuayAPIHandler

    public init(services: QuayServices, api: QuayAPIHandler) {
        self.services = services
        self.api = api
    }

    /// Whether `path` is one of the OAuth endpoints or `/csrf_token`.
    public static func handles(_ path: String) -> Bool { path.hasPrefix("/oauth/") || path == "/csrf_token" }

    /// Answers one OAuth request; OAuth errors are rendered as RFC 6749 JSON, others in Quay's shapes.
    public func respond(to request: Request, context: CallContext) async -> Response {
        let remoteIP = context.remoteIP
        do {
            switch (request.method, request.uri.path) {
            case (.get, "/csrf_token"): return try await csrfToken(request, ip: remoteIP)
            case (.get, "/oauth/authorize"): return try await authorize(request, ip: remoteIP)
            case (.post, "/oauth/authorizeapp"): return try await authorizeApp(request, ip: remoteIP)
            case (.post, "/oauth/access_token"): return try await accessToken(request, ip: remoteIP)
            default: return QuayJSON.response(.notFound, ["message": "Not Found"])
            }
        } catch let error as OAuthError {
            return QuayJSON.response(HTTPResponse.Status(code: error.status), ["error": error.code, "error_description": error.description])
        } catch {
            return api.render(error, request: request, context: context)
        }
    }

    /// The caller of a consent endpoint: a signed-in session (cookie), or Basic credentials (a password or an
    /// app-specific token, as Quay's `process_auth_or_cookie` takes), or 401.
    private func consentCaller(_ request: Request, ip: String?) async throws -> APICaller {
        let caller = try await APICaller.resolve(request, ip: ip, services: services)
        if caller.session != nil { return caller }
        if case .basic(let username, let password) = Credentials(request: request),
           let identity = try await services.authenticator.authenticate(username: username, password: password),
           [.user, .appSpecificToken].contains(identity.kind) {
            return APICaller(identity: identity, session: nil, ip: ip)
        }
        throw QuayAPIError.message(401, "Sign in first: POST /api/v1/signin, or send Basic credentials")
    }

    private func csrfToken(_ request: Request, ip: String?) async throws -> Response {
        let caller = try await APICaller.resolve(request, ip: ip, services: services)
        guard let session = caller.session else { throw QuayAPIError.message(401, "Sign in first: POST /api/v1/signin") }
        return QuayJSON.response(.ok, ["csrf_token": session.csrfToken])
    }

    /// The consent page: names the application and the scopes, with a form that grants them; with
    /// `format=json`, the same as JSON (`application`, `scopes`, `has_dangerous_scopes`, `csrf_token_val`, …)
    /// for scripts. A caller with Basic credentials gets a session cookie carrying the CSRF token.
    private func authorize(_ request: Request, ip: String?) async throws -> Response {
        var caller = try await consentCaller(request, ip: ip)
        let responseType = request.query("response_type") ?? "code"
        guard ["code", "token"].contains(responseType) else { throw OAuthError.unsupportedResponseType("response_type must be code or token") }
        let (application, scopes, redirect) = try await services.oauth.validate(clientID: request.query("client_id") ?? "",
                                                                                 redirectURI: request.query("redirect_uri"), scope: request.query("scope") ?? "")
        var headers = HTTPFields()
        if caller.session == nil {
            let session = try await services.sessions.open(for: caller.identity)
            caller = APICaller(identity: caller.identity, session: session, ip: ip)
            headers[.setCookie] = "\(APICaller.sessionCookie)=\(session.cookieValue); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(Int(SessionService.lifetime))"
                + (services.settings.urlScheme == "https" ? "; Secure" : "")
        }
        let csrf = caller.session!.csrfToken
        if request.query("format") == "json" {
            return QuayJSON.response(.ok, try await consentView(application, scopes: scopes, redirect: redirect, csrf: csrf), headers: headers)
        }
        let fields = ["client_id": application.clientId, "redirect_uri": redirect, "scope": Scope.render(scopes),
                      "response_type": responseType, "state": request.query("state") ?? "", "_csrf_token": csrf]
        let inputs = fields.sorted { $0.key < $1.key }.map { "<input type=\"hidden\" name=\"\($0.key)\" value=\"\(FormBody.escape($0.value))\">" }.joined()
        let html = """
            <!DOCTYPE html><html><head><title>Authorize \(FormBody.escape(application.name))</title></head><body>
            <h1>\(FormBody.escape(application.name)) asks for access</h1><p>Scopes: \(FormBody.escape(Scope.render(scopes)))</p>
            <form method="post" action="/oauth/authorizeapp">\(inputs)<button type="submit">Authorize</button></form></body></html>
            """
        return Responses.json(.ok, Data(html.utf8), headers: headers, contentType: "text/html; charset=utf-8")
    }

    /// The consent data as Quay's page gets it.
    private func consentView(_ application: OAuthApplicationRecord, scopes: Set<Scope>, redirect: String, csrf: String) async throws -> [String: Any] {
        let organization = try await services.store.account(id: application.organizationId)
        let ordered = Scope.allCases.filter(scopes.contains)
        return [
            "application": [
                "name": application.name, "description": application.description, "url": application.applicationUri,
                "avatar": QuayViews.avatar(name: application.name, email: application.avatarEmail ?? organization?.email, kind: "app"),
                "organization": ["name": organization?.username ?? "",
                                 "avatar": QuayViews.avatar(name: organization?.username ?? "", email: organization?.email, kind: "org")],
            ],
            "scopes": ordered.map { ["scope": $0.rawValue, "title": $0.title, "description": $0.summary, "icon": $0.icon, "dangerous": $0.isDangerous] },
            "has_dangerous_scopes": ordered.contains(where: \.isDangerous),
            "client_id": application.clientId, "redirect_uri": redirect, "scope": Scope.render(scopes), "csrf_token_val": csrf,
        ]
    }

    /// Grants the application: redirects with `?code=` (code flow) or `#access_token=` (implicit flow). The
    /// form carries the session's CSRF token, except from a caller with Basic credentials for a client in
    /// `DIRECT_OAUTH_CLIENTID_WHITELIST` (as in Quay).
    private func authorizeApp(_ request: Request, ip: String?) async throws -> Response {
        let caller = try await consentCaller(request, ip: ip)
        let form = try await FormBody.fields(request)
        let direct = caller.session == nil && services.settings.directOAuthClients.contains(form["client_id"] ?? "")
        if !direct {
            guard let session = caller.session,
                  Secrets.constantTimeEquals(form["_csrf_token"] ?? request.headers[HTTPField.Name("X-CSRF-Token")!] ?? "", session.csrfToken) else {
                throw QuayAPIError.csrfMissing
            }
        }
        let user = try caller.account()
        let (application, scopes, redirect) = try await services.oauth.validate(clientID: form["client_id"] ?? "", redirectURI: form["redirect_uri"],
                                                                                 scope: form["scope"] ?? "")
        let state = form["state"].flatMap { $0.isEmpty ? nil : $0 }
        var location: String
        switch form["response_type"] ?? "code" {
        case "code":
            let code = try await services.oauth.issueCode(application: application, user: user, scopes: scopes, redirectURI: redirect)
            location = redirect + (redirect.contains("?") ? "&" : "?") + FormBody.query(["code": code, "state": state])
        case "token":
            let token = try await services.oauth.issueToken(application: application, user: user, scopes: scopes, by: caller.performer)
            location = redirect + "#" + FormBody.query(["access_token": token, "token_type": "Bearer",
                                                    "expires_in": String(Int(OAuthService.tokenLifetime)), "scope": Scope.render(scopes), "state": state])
        default:
            throw OAuthError.unsupportedResponseType("response_type must be code or token")
        }
        return Responses.empty(.found, headers: [.location: location])
    }

    /// Exchanges an authorization code; the client authenticates with its secret (form or Basic).
    private func accessToken(_ request: Request, ip: String?) async throws -> Response {
        let form = try await FormBody.fields(request)
        guard form["grant_type"] == "authorization_code" else { throw OAuthError.unsupportedGrantType("Only authorization_code is supported") }
        var clientID = form["client_id"], secret = form["client_secret"]
        if case .basic(let user, let password) = Credentials(request: request) {
            clientID = user
            secret = password
        }
        guard let clientID, let secret, let code = form["code"] else { throw OAuthError.invalidRequest("client_id, client_secret and code are required") }
        let (token, scopes) = try await services.oauth.exchange(clientID: clientID, clientSecret: secret, code: code,
                                                                redirectURI: form["redirect_uri"], scope: form["scope"], ip: ip)
        return QuayJSON.response(.ok, ["access_token": token, "token_type": "Bearer", "expires_in": Int(OAuthService.tokenLifetime),
                                       "scope": Scope.render(scopes)])
    }
}
