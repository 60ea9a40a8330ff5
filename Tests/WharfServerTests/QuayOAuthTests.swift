import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// OAuth 2 flows outside `/api/v1`: `/oauth/authorize`, `/oauth/authorizeapp` and `/oauth/access_token`.
final class QuayOAuthTests: XCTestCase {
    static let redirect = "http://localhost:8000/cb"

    /// An organization `acme` administered by alice with one application; returns its client id and secret.
    static func application(_ server: TestServer, _ client: any TestClientProtocol, admin: AccountRecord) async throws -> (clientID: String, secret: String) {
        let fixture = QuayOrgFixture(quay: try await server.quay(client, as: admin))
        try await fixture.createOrganization("acme")
        return try await fixture.createApplication("acme", name: "Deploy <Bot>", redirectURI: redirect)
    }

    /// The consent form's fields for `clientID`.
    static func grant(_ clientID: String, session: SignedInSession, scope: String, responseType: String = "code",
                      redirect: String = redirect, state: String = "xyz", csrf: String? = nil) -> [(String, String)] {
        [("client_id", clientID), ("redirect_uri", redirect), ("scope", scope), ("response_type", responseType), ("state", state),
         ("_csrf_token", csrf ?? session.csrfToken)]
    }

    static func exchange(_ client: any TestClientProtocol, _ fields: [(String, String)], headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await client.execute(uri: "/oauth/access_token", method: .post, headers: headers,
                                        body: ByteBuffer(string: FormEncoding.encode(fields)))
    }

    /// The query parameters of a redirect's `Location` (after `?`) or its fragment (after `#`).
    static func parameters(_ location: String, after separator: Character) -> [String: String] {
        guard let index = location.firstIndex(of: separator) else { return [:] }
        var rest = location[location.index(after: index)...]
        if separator == "?", let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        return FormEncoding.decode(rest)
    }

    func testAuthorizationCodeFlow() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.user("bob")
            try await server.run { client in
                let (clientID, secret) = try await Self.application(server, client, admin: alice)
                _ = try await RegistryCalls(client: client, auth: Auth.bob).pushImage("bob/app", tag: "v1")
                let session = try await SignedInSession.signIn(client, "bob")

                let query = "response_type=code&client_id=\(clientID)&redirect_uri=\(FormEncoding.escape(Self.redirect))"
                    + "&scope=repo:read%20user:read&state=xyz"
                let consent = try await session.get("/oauth/authorize?" + query)
                XCTAssertEqual(consent.status, .ok, consent.text)
                XCTAssertTrue(consent.header("Content-Type")?.hasPrefix("text/html") == true, consent.header("Content-Type") ?? "")
                XCTAssertTrue(consent.text.contains("Deploy &lt;Bot&gt;"), "the page names the application, escaped: \(consent.text)")
                XCTAssertFalse(consent.text.contains("Deploy <Bot>"))
                XCTAssertTrue(consent.text.contains("repo:read user:read"), consent.text)
                XCTAssertTrue(consent.text.contains("action=\"/oauth/authorizeapp\""), consent.text)
                XCTAssertTrue(consent.text.contains("value=\"\(session.csrfToken)\""), "the form carries the CSRF token")
                XCTAssertTrue(consent.text.contains("value=\"\(clientID)\""))

                let granted = try await session.postForm("/oauth/authorizeapp", Self.grant(clientID, session: session, scope: "repo:read user:read"))
                XCTAssertEqual(granted.status, .found, granted.text)
                let location = try XCTUnwrap(granted.header("Location"))
                XCTAssertTrue(location.hasPrefix(Self.redirect + "?"), location)
                let parameters = Self.parameters(location, after: "?")
                XCTAssertEqual(parameters["state"], "xyz")
                let code = try XCTUnwrap(parameters["code"], location)

                let fields = [("grant_type", "authorization_code"), ("client_id", clientID), ("client_secret", secret), ("code", code),
                              ("redirect_uri", Self.redirect)]
                let exchanged = try await Self.exchange(client, fields)
                XCTAssertEqual(exchanged.status, .ok, exchanged.text)
                XCTAssertEqual(exchanged.json["token_type"] as? String, "Bearer")
                XCTAssertEqual(exchanged.json["scope"] as? String, "repo:read user:read")
                XCTAssertGreaterThan(exchanged.json["expires_in"] as? Int ?? 0, 0)
                let token = try XCTUnwrap(exchanged.json["access_token"] as? String)
                XCTAssertEqual(token.count, 40)

                let reused = try await Self.exchange(client, fields)
                XCTAssertEqual(reused.status, .badRequest, reused.text)
                XCTAssertEqual(reused.json["error"] as? String, "invalid_grant")

                let api = QuayClient(client: client, token: token)
                let me = try await api.get("/api/v1/user/")
                XCTAssertEqual(me.status, .ok, me.text)
                XCTAssertEqual(me.json["username"] as? String, "bob")
                XCTAssertNil(me.json["email"], "user:read does not show what user:admin shows")
                try await api.post("/api/v1/user/apptoken", ["title": "x"]).assertAPIError(403, "insufficient_scope")
                try await api.post("/api/v1/organization/", ["name": "bobs"]).assertAPIError(403, "insufficient_scope")

                let registry = HTTPFields.basic("$oauthtoken", token)
                let pull = try await client.execute(uri: "/v2/bob/app/manifests/v1", method: .get, headers: registry)
                XCTAssertEqual(pull.status, .ok, "repo:read pulls")
                let push = try await client.execute(uri: "/v2/bob/app/blobs/uploads/", method: .post, headers: registry)
                XCTAssertEqual(push.status, .unauthorized, "repo:read caps the owner's admin role at read")
                let issued = try await RegistryTokens.request(client, server: server, auth: registry, scope: "repository:bob/app:pull,push")
                XCTAssertEqual(RegistryTokens.actions(issued.claims, on: "bob/app"), ["pull"])
                XCTAssertEqual((issued.claims?["context"] as? [String: Any])?["entity_kind"] as? String, "oauthtoken")
            }
        }
    }

    func testTokenEndpointChecksTheClientAndTheCode() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.user("bob")
            try await server.run { client in
                let (clientID, secret) = try await Self.application(server, client, admin: alice)
                let session = try await SignedInSession.signIn(client, "bob")
                func newCode() async throws -> String {
                    let granted = try await session.postForm("/oauth/authorizeapp", Self.grant(clientID, session: session, scope: "user:read"))
                    XCTAssertEqual(granted.status, .found, granted.text)
                    return try XCTUnwrap(Self.parameters(granted.header("Location") ?? "", after: "?")["code"])
                }

                let code = try await newCode()
                let wrongSecret = try await Self.exchange(client, [("grant_type", "authorization_code"), ("client_id", clientID),
                                                                   ("client_secret", "not-the-secret"), ("code", code), ("redirect_uri", Self.redirect)])
                XCTAssertEqual(wrongSecret.status, .unauthorized, wrongSecret.text)
                XCTAssertEqual(wrongSecret.json["error"] as? String, "invalid_client")
                let unknownClient = try await Self.exchange(client, [("grant_type", "authorization_code"), ("client_id", "NOSUCHCLIENT"),
                                                                     ("client_secret", secret), ("code", code)])
                XCTAssertEqual(unknownClient.status, .unauthorized)
                XCTAssertEqual(unknownClient.json["error"] as? String, "invalid_client")

                let viaBasic = try await Self.exchange(client, [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Self.redirect)],
                                                       headers: .basic(clientID, secret))
                XCTAssertEqual(viaBasic.status, .ok, "the client may authenticate with Basic; a failed client check leaves the code usable: \(viaBasic.text)")
                XCTAssertNotNil(viaBasic.json["access_token"] as? String)

                let mismatched = try await Self.exchange(client, [("grant_type", "authorization_code"), ("client_id", clientID), ("client_secret", secret),
                                                                  ("code", try await newCode()), ("redirect_uri", "http://localhost:8000/other")])
                XCTAssertEqual(mismatched.status, .badRequest, mismatched.text)
                XCTAssertEqual(mismatched.json["error"] as? String, "invalid_grant")

                let forged = try await Self.exchange(client, [("grant_type", "authorization_code"), ("client_id", clientID), ("client_secret", secret),
                                                              ("code", String(repeating: "A", count: 40))])
                XCTAssertEqual(forged.json["error"] as? String, "invalid_grant")

                let other = try await QuayOrgFixture(quay: try await server.quay(client, as: alice))
                    .createApplication("acme", name: "Other app", redirectURI: Self.redirect)
                let crossClient = try await Self.exchange(client, [("grant_type", "authorization_code"), ("client_id", other.clientID),
                                                                   ("client_secret", other.secret), ("code", try await newCode()),
                                                                   ("redirect_uri", Self.redirect)])
                XCTAssertEqual(crossClient.status, .badRequest, crossClient.text)
                XCTAssertEqual(crossClient.json["error"] as? String, "invalid_grant", "a code is bound to the application it was issued to")

                let store = server.server.store
                let application = try await store.application(clientID: clientID)
                let bob = try await store.account(named: "bob")
                let name = Secrets.randomToken(length: 20), codeSecret = Secrets.randomToken(length: 20)
                try await store.createAuthorizationCode(applicationID: try XCTUnwrap(application).id, accountID: try XCTUnwrap(bob).id,
                                                        codeName: name, codeHash: Secrets.sha256Hex(codeSecret), scopes: "user:read",
                                                        redirectURI: Self.redirect, expiresMs: MetadataStore.nowMs() - 1000)
                let expired = try await Self.exchange(client, [("grant_type", "authorization_code"), ("client_id", clientID), ("client_secret", secret),
                                                               ("code", name + codeSecret), ("redirect_uri", Self.redirect)])
                XCTAssertEqual(expired.status, .badRequest, expired.text)
                XCTAssertEqual(expired.json["error"] as? String, "invalid_grant", "an expired code is refused")

                let password = try await Self.exchange(client, [("grant_type", "password"), ("client_id", clientID), ("client_secret", secret)])
                XCTAssertEqual(password.status, .badRequest)
                XCTAssertEqual(password.json["error"] as? String, "unsupported_grant_type")
                let missing = try await Self.exchange(client, [("grant_type", "authorization_code"), ("client_id", clientID)])
                XCTAssertEqual(missing.status, .badRequest)
                XCTAssertEqual(missing.json["error"] as? String, "invalid_request")
            }
        }
    }

    func testImplicitFlow() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.user("bob")
            try await server.run { client in
                let (clientID, _) = try await Self.application(server, client, admin: alice)
                let session = try await SignedInSession.signIn(client, "bob")
                let consent = try await session.get("/oauth/authorize?response_type=token&client_id=\(clientID)"
                                                    + "&redirect_uri=\(FormEncoding.escape(Self.redirect))&scope=user:admin%20repo:read")
                XCTAssertEqual(consent.status, .ok, consent.text)
                XCTAssertTrue(consent.text.contains("name=\"response_type\" value=\"token\""), consent.text)

                let granted = try await session.postForm("/oauth/authorizeapp",
                                                         Self.grant(clientID, session: session, scope: "user:admin repo:read", responseType: "token"))
                XCTAssertEqual(granted.status, .found, granted.text)
                let location = try XCTUnwrap(granted.header("Location"))
                XCTAssertTrue(location.hasPrefix(Self.redirect + "#access_token="), location)
                let fragment = Self.parameters(location, after: "#")
                XCTAssertEqual(fragment["token_type"], "Bearer")
                XCTAssertEqual(fragment["state"], "xyz")
                XCTAssertEqual(fragment["scope"], "repo:read user:admin")
                XCTAssertGreaterThan(Int(fragment["expires_in"] ?? "") ?? 0, 0)
                let token = try XCTUnwrap(fragment["access_token"])
                XCTAssertEqual(token.count, 40)
                XCTAssertNil(Self.parameters(location, after: "?")["code"], "the implicit flow issues no code")

                let me = try await QuayClient(client: client, token: token).get("/api/v1/user/")
                XCTAssertEqual(me.status, .ok, me.text)
                XCTAssertEqual(me.json["email"] as? String, "bob@example.com", "user:admin shows the full view")
                let login = try await client.execute(uri: "/v2/", method: .get, headers: .basic("$oauthtoken", token))
                XCTAssertEqual(login.status, .ok)

                let removed = try await (try await server.quay(client, as: alice)).delete("/api/v1/organization/acme/applications/\(clientID)")
                XCTAssertEqual(removed.status, .noContent, removed.text)
                try await QuayClient(client: client, token: token).get("/api/v1/user/").assertAPIError(401, "invalid_token")
                let afterLogin = try await client.execute(uri: "/v2/", method: .get, headers: .basic("$oauthtoken", token))
                XCTAssertEqual(afterLogin.status, .unauthorized, "deleting the application revokes the tokens issued through it")
            }
        }
    }

    func testAuthorizationRefusals() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.user("bob")
            try await server.run { client in
                let (clientID, _) = try await Self.application(server, client, admin: alice)
                let session = try await SignedInSession.signIn(client, "bob")

                var withoutCSRF = Self.grant(clientID, session: session, scope: "repo:read")
                withoutCSRF.removeAll { $0.0 == "_csrf_token" }
                let noCSRF = try await session.postForm("/oauth/authorizeapp", withoutCSRF)
                XCTAssertEqual(noCSRF.status, .forbidden, noCSRF.text)
                XCTAssertEqual(noCSRF.json["message"] as? String, "CSRF token was invalid or missing.")
                XCTAssertNil(noCSRF.header("Location"))
                let wrongCSRF = try await session.postForm("/oauth/authorizeapp", Self.grant(clientID, session: session, scope: "repo:read", csrf: "nope"))
                XCTAssertEqual(wrongCSRF.status, .forbidden)

                let elsewhere = "http://evil.example.com/cb"
                let badRedirect = try await session.get("/oauth/authorize?response_type=code&client_id=\(clientID)"
                                                        + "&redirect_uri=\(FormEncoding.escape(elsewhere))&scope=repo:read")
                XCTAssertEqual(badRedirect.status, .badRequest, badRedirect.text)
                XCTAssertEqual(badRedirect.json["error"] as? String, "invalid_request")
                let badGrant = try await session.postForm("/oauth/authorizeapp",
                                                          Self.grant(clientID, session: session, scope: "repo:read", redirect: elsewhere))
                XCTAssertEqual(badGrant.status, .badRequest, badGrant.text)
                XCTAssertNil(badGrant.header("Location"), "no redirect to an unregistered address")

                let underneath = try await session.postForm("/oauth/authorizeapp",
                                                            Self.grant(clientID, session: session, scope: "repo:read", redirect: Self.redirect + "/deeper"))
                XCTAssertEqual(underneath.status, .found, "a redirect URI under the registered one is allowed: \(underneath.text)")
                XCTAssertTrue(underneath.header("Location")?.hasPrefix(Self.redirect + "/deeper?code=") == true, underneath.header("Location") ?? "")

                let badScope = try await session.postForm("/oauth/authorizeapp", Self.grant(clientID, session: session, scope: "repo:read repo:fly"))
                XCTAssertEqual(badScope.status, .badRequest)
                XCTAssertEqual(badScope.json["error"] as? String, "invalid_scope", "an unknown scope empties the set")
                let unknownClient = try await session.get("/oauth/authorize?response_type=code&client_id=NOSUCHCLIENT&scope=repo:read")
                XCTAssertEqual(unknownClient.json["error"] as? String, "invalid_client")
                let badType = try await session.get("/oauth/authorize?response_type=magic&client_id=\(clientID)&scope=repo:read")
                XCTAssertEqual(badType.status, .badRequest)
                XCTAssertEqual(badType.json["error"] as? String, "unsupported_response_type")

                let signedOut = try await client.execute(uri: "/oauth/authorize?response_type=code&client_id=\(clientID)&scope=repo:read", method: .get)
                XCTAssertEqual(signedOut.status, .unauthorized, "the consent page needs a signed-in user")
                let bearerOnly = try await client.execute(uri: "/oauth/authorize?response_type=code&client_id=\(clientID)&scope=repo:read", method: .get,
                                                          headers: [.authorization: "Bearer \(try await server.token(for: alice))"])
                XCTAssertEqual(bearerOnly.status, .unauthorized, "a bearer token is not a browser session")
                let grantWithoutSession = try await client.execute(
                    uri: "/oauth/authorizeapp", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: FormEncoding.encode(Self.grant(clientID, session: session, scope: "repo:read"))))
                XCTAssertEqual(grantWithoutSession.status, .unauthorized)
            }
        }
    }

    /// Scripts mint tokens without a browser, as with Quay's `process_auth_or_cookie`: Basic credentials
    /// (a password or an app token) at `/oauth/authorize?format=json` get the consent data as JSON with
    /// `csrf_token_val` and a session cookie; the grant then carries both, or neither for a client in
    /// `DIRECT_OAUTH_CLIENTID_WHITELIST`.
    func testBasicCredentialsAndJSONConsent() async throws {
        try await withEachDatabase { database in
            let clientIDs = NIOLockedValueBox<[String]>([])
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.user("bob")
            try await server.run { client in
                let (clientID, _) = try await Self.application(server, client, admin: alice)
                clientIDs.withLockedValue { $0.append(clientID) }
                let query = "/oauth/authorize?response_type=code&client_id=\(clientID)&redirect_uri=\(FormEncoding.escape(Self.redirect))"
                    + "&scope=repo:read%20org:admin&format=json"
                let consent = try await client.execute(uri: query, method: .get, headers: Auth.bob)
                XCTAssertEqual(consent.status, .ok, consent.text)
                XCTAssertEqual(consent.header("Content-Type"), "application/json")
                XCTAssertEqual((consent.json["application"] as? [String: Any])?["name"] as? String, "Deploy <Bot>")
                XCTAssertEqual(((consent.json["application"] as? [String: Any])?["organization"] as? [String: Any])?["name"] as? String, "acme")
                let scopes = try XCTUnwrap(consent.json["scopes"] as? [[String: Any]])
                XCTAssertEqual(scopes.compactMap { $0["scope"] as? String }, ["repo:read", "org:admin"])
                XCTAssertEqual(scopes.last?["dangerous"] as? Bool, true)
                XCTAssertEqual(consent.json["has_dangerous_scopes"] as? Bool, true)
                XCTAssertEqual(consent.json["client_id"] as? String, clientID)
                let csrf = try XCTUnwrap(consent.json["csrf_token_val"] as? String)
                let cookie = try XCTUnwrap(SignedInSession.cookieValue(try XCTUnwrap(consent.header("Set-Cookie"))))

                func grant(_ headers: HTTPFields, csrf: String?) async throws -> TestResponse {
                    var fields = [("client_id", clientID), ("redirect_uri", Self.redirect), ("scope", "repo:read"), ("response_type", "code")]
                    if let csrf { fields.append(("_csrf_token", csrf)) }
                    return try await client.execute(uri: "/oauth/authorizeapp", method: .post,
                                                    headers: headers.adding("Content-Type", "application/x-www-form-urlencoded"),
                                                    body: ByteBuffer(string: FormEncoding.encode(fields)))
                }
                let withoutCSRF = try await grant(Auth.bob, csrf: nil)
                XCTAssertEqual(withoutCSRF.status, .forbidden, "Basic credentials alone do not skip the CSRF token: \(withoutCSRF.text)")
                let granted = try await grant(Auth.bob.adding("Cookie", "_csrf_token=\(cookie)"), csrf: csrf)
                XCTAssertEqual(granted.status, .found, granted.text)
                XCTAssertTrue(granted.header("Location")?.hasPrefix(Self.redirect + "?code=") == true, granted.header("Location") ?? "")

                let wrongPassword = try await client.execute(uri: query, method: .get, headers: .basic("bob", "not-the-password"))
                XCTAssertEqual(wrongPassword.status, .unauthorized)
                let oauthToken = try await server.token(for: alice)
                let viaToken = try await client.execute(uri: query, method: .get, headers: .basic("$oauthtoken", oauthToken))
                XCTAssertEqual(viaToken.status, .unauthorized, "an OAuth token cannot mint wider ones")
            }

            let whitelisted = clientIDs.withLockedValue { $0 }
            let direct = try await TestServer.make(database: database, dataDirectory: server.configuration.dataDirectory) {
                $0.directOAuthClients = Set(whitelisted)
            }
            try await direct.run { client in
                let grant = [("client_id", whitelisted[0]), ("redirect_uri", Self.redirect), ("scope", "repo:read"), ("response_type", "token")]
                let granted = try await client.execute(uri: "/oauth/authorizeapp", method: .post,
                                                       headers: Auth.bob.adding("Content-Type", "application/x-www-form-urlencoded"),
                                                       body: ByteBuffer(string: FormEncoding.encode(grant)))
                XCTAssertEqual(granted.status, .found, granted.text)
                XCTAssertTrue(granted.header("Location")?.contains("#access_token=") == true, granted.header("Location") ?? "")
            }
        }
    }
}
