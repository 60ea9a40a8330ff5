import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// Calls to the Quay API as one caller (an OAuth bearer token, or nobody).
struct QuayClient {
    let client: any TestClientProtocol
    /// The bearer token, or nil for anonymous calls.
    let token: String?

    /// Sends `method path` with an optional JSON body (a dictionary, array or string), or a `body` given
    /// as text.
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, json: Any? = nil, headers extra: HTTPFields = [:],
              body text: String? = nil) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body = text.map { ByteBuffer(string: $0) }
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed]))
        }
        return try await client.execute(uri: path, method: method, headers: headers, body: body)
    }

    func get(_ path: String) async throws -> TestResponse { try await call(.get, path) }
    func put(_ path: String, _ json: Any? = nil) async throws -> TestResponse { try await call(.put, path, json: json) }
    func post(_ path: String, _ json: Any? = nil) async throws -> TestResponse { try await call(.post, path, json: json) }
    func delete(_ path: String) async throws -> TestResponse { try await call(.delete, path) }
}

extension TestServer {
    /// Mints an OAuth token for `account` with `scopes` (all scopes by default).
    func token(for account: AccountRecord, scopes: Set<Scope> = Set(Scope.allCases)) async throws -> String {
        try await server.authenticator.mintOAuthToken(for: account, scopes: scopes, lifetime: 3600, by: nil)
    }

    /// A Quay API client for `account` with `scopes` (all scopes by default).
    func quay(_ client: any TestClientProtocol, as account: AccountRecord, scopes: Set<Scope> = Set(Scope.allCases)) async throws -> QuayClient {
        QuayClient(client: client, token: try await token(for: account, scopes: scopes))
    }
}

extension TestResponse {
    /// The body as a JSON array.
    var jsonArray: [Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [Any]) ?? []
    }

    /// Asserts Quay's ApiError shape with `status` and `errorType`.
    func assertAPIError(_ status: Int, _ errorType: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(self.status.code, status, text, file: file, line: line)
        XCTAssertEqual(json["status"] as? Int, status, text, file: file, line: line)
        XCTAssertEqual(json["error_type"] as? String, errorType, text, file: file, line: line)
        XCTAssertEqual(json["title"] as? String, errorType, text, file: file, line: line)
        XCTAssertNotNil(json["error_message"], text, file: file, line: line)
        XCTAssertNotNil(json["detail"], text, file: file, line: line)
        XCTAssertNotNil(json["type"], text, file: file, line: line)
    }

    /// Asserts Flask's `{"message": …}` shape with `status`.
    func assertMessage(_ status: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(self.status.code, status, text, file: file, line: line)
        XCTAssertNotNil(json["message"] as? String, text, file: file, line: line)
    }
}
