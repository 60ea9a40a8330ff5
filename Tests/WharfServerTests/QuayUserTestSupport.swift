import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// A signed-in API session from `POST /api/v1/signin`: the session cookie and the CSRF token its
/// writes must carry.
struct SignedInSession {
    let client: any TestClientProtocol
    let cookieValue: String
    let csrfToken: String

    /// The `Cookie` header that presents the session.
    var cookie: HTTPFields { [.cookie: "_csrf_token=\(cookieValue)"] }

    /// Signs `username` in and checks the response carries the cookie and the CSRF token.
    static func signIn(_ client: any TestClientProtocol, _ username: String, password: String = "password1",
                       file: StaticString = #filePath, line: UInt = #line) async throws -> SignedInSession {
        let body = try JSONSerialization.data(withJSONObject: ["username": username, "password": password])
        let response = try await client.execute(uri: "/api/v1/signin", method: .post, headers: [.contentType: "application/json"],
                                                body: ByteBuffer(bytes: body))
        XCTAssertEqual(response.status, .ok, response.text, file: file, line: line)
        let setCookie = try XCTUnwrap(response.header("Set-Cookie"), file: file, line: line)
        let value = try XCTUnwrap(SignedInSession.cookieValue(setCookie), setCookie, file: file, line: line)
        let csrf = try XCTUnwrap(response.header("X-Next-CSRF-Token"), file: file, line: line)
        return SignedInSession(client: client, cookieValue: value, csrfToken: csrf)
    }

    /// The value of the `_csrf_token` cookie in a `Set-Cookie` header.
    static func cookieValue(_ setCookie: String) -> String? {
        guard let first = setCookie.split(separator: ";").first else { return nil }
        let parts = first.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, parts[0] == "_csrf_token", !parts[1].isEmpty else { return nil }
        return parts[1]
    }

    /// An API call with the cookie; `csrf` adds the session's `X-CSRF-Token` header.
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, json: Any? = nil, csrf: Bool = false,
              headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = cookie
        for field in extra { headers.append(field) }
        if csrf { headers[HTTPField.Name("X-CSRF-Token")!] = csrfToken }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed]))
        }
        return try await client.execute(uri: path, method: method, headers: headers, body: body)
    }

    func get(_ path: String) async throws -> TestResponse { try await call(.get, path) }

    /// Posts a form-encoded body with the cookie (the OAuth consent form).
    func postForm(_ path: String, _ fields: [(String, String)]) async throws -> TestResponse {
        var headers = cookie
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: FormEncoding.encode(fields)))
    }
}

/// `application/x-www-form-urlencoded` bodies and query strings.
enum FormEncoding {
    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    /// The parameters of a query string or URL fragment (`a=1&b=2`).
    static func decode(_ text: Substring) -> [String: String] {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            if let key = parts.first { values[key] = parts.count > 1 ? parts[1] : "" }
        }
        return values
    }
}

/// Organizations, teams, robots and repository permissions set up through the API by an
/// organization's administrator; every step asserts its documented status.
struct QuayOrgFixture {
    let quay: QuayClient

    func createOrganization(_ name: String, email: String? = nil, file: StaticString = #filePath, line: UInt = #line) async throws {
        var body: [String: Any] = ["name": name]
        if let email { body["email"] = email }
        let response = try await quay.post("/api/v1/organization/", body)
        XCTAssertEqual(response.status, .created, response.text, file: file, line: line)
    }

    func saveTeam(_ organization: String, _ team: String, role: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let response = try await quay.put("/api/v1/organization/\(organization)/team/\(team)", ["role": role, "description": ""])
        XCTAssertEqual(response.status, .ok, response.text, file: file, line: line)
        XCTAssertEqual(response.json["role"] as? String, role, response.text, file: file, line: line)
    }

    func addMember(_ organization: String, team: String, _ member: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let response = try await quay.put("/api/v1/organization/\(organization)/team/\(team)/members/\(member)")
        XCTAssertEqual(response.status, .ok, response.text, file: file, line: line)
        XCTAssertEqual(response.json["invited"] as? Bool, false, "added directly, not invited: \(response.text)", file: file, line: line)
    }

    /// Creates the robot `organization+shortname`; returns its token.
    func createRobot(_ organization: String, _ shortname: String, file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let response = try await quay.put("/api/v1/organization/\(organization)/robots/\(shortname)")
        XCTAssertEqual(response.status, .created, response.text, file: file, line: line)
        XCTAssertEqual(response.json["name"] as? String, "\(organization)+\(shortname)", file: file, line: line)
        return try XCTUnwrap(response.json["token"] as? String, response.text, file: file, line: line)
    }

    func grantUser(_ repository: String, _ username: String, role: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let response = try await quay.put("/api/v1/repository/\(repository)/permissions/user/\(username)", ["role": role])
        XCTAssertEqual(response.status, .ok, response.text, file: file, line: line)
    }

    func grantTeam(_ repository: String, _ team: String, role: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let response = try await quay.put("/api/v1/repository/\(repository)/permissions/team/\(team)", ["role": role])
        XCTAssertEqual(response.status, .ok, response.text, file: file, line: line)
    }

    /// Creates an OAuth application of `organization`; returns its client id and secret.
    func createApplication(_ organization: String, name: String = "CI app", redirectURI: String,
                           file: StaticString = #filePath, line: UInt = #line) async throws -> (clientID: String, secret: String) {
        let response = try await quay.post("/api/v1/organization/\(organization)/applications",
                                           ["name": name, "redirect_uri": redirectURI, "application_uri": "http://localhost:8000/"])
        XCTAssertEqual(response.status, .ok, response.text, file: file, line: line)
        XCTAssertEqual(response.json["redirect_uri"] as? String, redirectURI, file: file, line: line)
        let clientID = try XCTUnwrap(response.json["client_id"] as? String, response.text, file: file, line: line)
        let secret = try XCTUnwrap(response.json["client_secret"] as? String, response.text, file: file, line: line)
        return (clientID, secret)
    }
}

/// Registry calls around the token endpoint.
enum RegistryTokens {
    /// `GET /v2/auth` for `scope` with `auth`; the response and, when issued, the token's claims.
    static func request(_ client: any TestClientProtocol, server: TestServer, auth: HTTPFields,
                        scope: String) async throws -> (response: TestResponse, token: String?, claims: [String: Any]?) {
        let service = server.configuration.effectiveServerHostname
        let response = try await client.execute(uri: "/v2/auth?service=\(service)&scope=\(scope)", method: .get, headers: auth)
        guard let token = response.json["token"] as? String else { return (response, nil, nil) }
        return (response, token, try RegistryProtocolTests.claims(of: token))
    }

    /// The actions a token's claims grant on `name`.
    static func actions(_ claims: [String: Any]?, on name: String) -> [String] {
        let access = claims?["access"] as? [[String: Any]] ?? []
        return access.first { $0["name"] as? String == name }?["actions"] as? [String] ?? []
    }
}
