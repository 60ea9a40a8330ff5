import Foundation
import Hummingbird
import Logging
import WharfHTTP
import WharfIdentity
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
    public func respond(to request: Request, remoteIP: String?) async -> Response {
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
            return api.render(error, request: request)
        }
    }

    /// The signed-in session of the request, or 401.
    private func session(_ request: Request, ip: String?) async throws -> APICaller {
        let caller = try await APICaller.resolve(request, ip: ip, services: services)
        guard caller.session != nil else { throw QuayAPIError.message(401, "Sign in first: POST /api/v1/signin") }
        return caller
    }

    private func csrfToken(_ request: Request, ip: String?) async throws -> Response {
        let caller = try await session(request, ip: ip)
        return QuayJSON.response(.ok, ["csrf_token": caller.session!.csrfToken])
    }

    /// The consent page: names the application and the scopes, with a form that grants them.
    private func authorize(_ request: Request, ip: String?) async throws -> Response {
        let caller = try await session(request, ip: ip)
        let responseType = request.query("response_type") ?? "code"
        guard ["code", "token"].contains(responseType) else { throw OAuthError.unsupportedResponseType("response_type must be code or token") }
        let (application, scopes, redirect) = try await services.oauth.validate(clientID: request.query("client_id") ?? "",
                                                                                 redirectURI: request.query("redirect_uri"), scope: request.query("scope") ?? "")
        let fields = ["client_id": application.clientId, "redirect_uri": redirect, "scope": Scope.render(scopes),
                      "response_type": responseType, "state": request.query("state") ?? "", "_csrf_token": caller.session!.csrfToken]
        let inputs = fields.sorted { $0.key < $1.key }.map { "<input type=\"hidden\" name=\"\($0.key)\" value=\"\(FormBody.escape($0.value))\">" }.joined()
        let html = """
            <!DOCTYPE html><html><head><title>Authorize \(FormBody.escape(application.name))</title></head><body>
            <h1>\(FormBody.escape(application.name)) asks for access</h1><p>Scopes: \(FormBody.escape(Scope.render(scopes)))</p>
            <form method="post" action="/oauth/authorizeapp">\(inputs)<button type="submit">Authorize</button></form></body></html>
            """
        return Responses.json(.ok, Data(html.utf8), contentType: "text/html; charset=utf-8")
    }

    /// Grants the application: redirects with `?code=` (code flow) or `#access_token=` (implicit flow).
    private func authorizeApp(_ request: Request, ip: String?) async throws -> Response {
        let caller = try await session(request, ip: ip)
        let form = try await FormBody.fields(request)
        guard Secrets.constantTimeEquals(form["_csrf_token"] ?? request.headers[HTTPField.Name("X-CSRF-Token")!] ?? "", caller.session!.csrfToken) else {
            throw QuayAPIError.csrfMissing
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
