import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// Fixtures shared by the organization, team, robot, repository-permission, prototype and access-matrix
/// tests. Everything lives in this namespace so that its names cannot clash with other test files.
enum OrgKit {
    /// The standard cast: `alice` creates the organization through the API (so she is in `owners`), `bob`
    /// is in the team `devs` (role `member`), `carol` has no relation to the organization.
    struct World {
        let server: TestServer
        let client: any TestClientProtocol
        let org: String
        let alice: AccountRecord
        let bob: AccountRecord
        let carol: AccountRecord
        let aliceAPI: QuayClient
        let bobAPI: QuayClient
        let carolAPI: QuayClient
        let anonymous: QuayClient

        var store: MetadataStore { server.server.store }

        /// A Quay client for another account (all scopes unless told).
        func api(_ account: AccountRecord, scopes: Set<Scope> = Set(Scope.allCases)) async throws -> QuayClient {
            try await server.quay(client, as: account, scopes: scopes)
        }

        /// The repository `org/name`, created directly in the store by `creator` (alice by default).
        @discardableResult
        func repository(_ name: String, in namespace: String? = nil, creator: AccountRecord? = nil,
                        visibility: Visibility = .private) async throws -> RepositoryRecord {
            let owner = try await store.account(named: namespace ?? org)
            let namespaceAccount = try XCTUnwrap(owner, "namespace \(namespace ?? org) exists")
            return try await store.createRepository(namespaceID: namespaceAccount.id, name: name, visibility: visibility,
                                                    creatorID: (creator ?? alice).id)
        }
    }

    static func world(_ server: TestServer, _ client: any TestClientProtocol, org: String = "acme",
                      file: StaticString = #filePath, line: UInt = #line) async throws -> World {
        let alice = try await server.user("alice")
        let bob = try await server.user("bob")
        let carol = try await server.user("carol")
        let aliceAPI = try await server.quay(client, as: alice)
        try await createOrganization(aliceAPI, org, email: "\(org)@example.com", file: file, line: line)
        try await saveTeam(aliceAPI, org, "devs", role: "member", file: file, line: line)
        try await addMember(aliceAPI, org, "devs", "bob", file: file, line: line)
        return World(server: server, client: client, org: org, alice: alice, bob: bob, carol: carol, aliceAPI: aliceAPI,
                     bobAPI: try await server.quay(client, as: bob), carolAPI: try await server.quay(client, as: carol),
                     anonymous: QuayClient(client: client, token: nil))
    }

    /// `POST /api/v1/organization/`, asserting 201.
    static func createOrganization(_ quay: QuayClient, _ name: String, email: String? = nil,
                                   file: StaticString = #filePath, line: UInt = #line) async throws {
        var body: [String: Any] = ["name": name]
        if let email { body["email"] = email }
        let response = try await quay.post("/api/v1/organization/", body)
        XCTAssertEqual(response.status.code, 201, "create organization \(name): \(response.text)", file: file, line: line)
    }

    /// `PUT /api/v1/organization/{org}/team/{team}`, asserting 200.
    @discardableResult
    static func saveTeam(_ quay: QuayClient, _ org: String, _ team: String, role: String, description: String? = nil,
                         file: StaticString = #filePath, line: UInt = #line) async throws -> TestResponse {
        var body: [String: Any] = ["role": role]
        if let description { body["description"] = description }
        let response = try await quay.put("/api/v1/organization/\(org)/team/\(team)", body)
        XCTAssertEqual(response.status.code, 200, "save team \(org)/\(team): \(response.text)", file: file, line: line)
        return response
    }

    /// `PUT /api/v1/organization/{org}/team/{team}/members/{member}`, asserting 200.
    @discardableResult
    static func addMember(_ quay: QuayClient, _ org: String, _ team: String, _ member: String,
                          file: StaticString = #filePath, line: UInt = #line) async throws -> TestResponse {
        let response = try await quay.put("/api/v1/organization/\(org)/team/\(team)/members/\(member)")
        XCTAssertEqual(response.status.code, 200, "add \(member) to \(org)/\(team): \(response.text)", file: file, line: line)
        return response
    }

    /// `PUT {prefix}/{short}` (a robot), asserting 201; returns the robot's token.
    static func createRobot(_ quay: QuayClient, prefix: String, _ short: String, body: Any? = nil,
                            file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let response = try await quay.put("\(prefix)/\(short)", body)
        XCTAssertEqual(response.status.code, 201, "create robot \(short): \(response.text)", file: file, line: line)
        return try XCTUnwrap(response.json["token"] as? String, response.text, file: file, line: line)
    }

    /// `PUT /api/v1/repository/{repo}/permissions/{kind}/{name}`, asserting 200.
    @discardableResult
    static func grant(_ quay: QuayClient, _ repository: String, user: String? = nil, team: String? = nil, role: String,
                      file: StaticString = #filePath, line: UInt = #line) async throws -> TestResponse {
        let path = user.map { "/api/v1/repository/\(repository)/permissions/user/\($0)" }
            ?? "/api/v1/repository/\(repository)/permissions/team/\(team ?? "")"
        let response = try await quay.put(path, ["role": role])
        XCTAssertEqual(response.status.code, 200, "grant \(role) on \(repository): \(response.text)", file: file, line: line)
        return response
    }

    /// `response.json[key]` as an object.
    static func object(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }

    /// `response.json[key]` as an array of objects.
    static func objects(_ value: Any?) -> [[String: Any]] { value as? [[String: Any]] ?? [] }

    /// The `name` fields of an array of objects.
    static func names(_ value: Any?) -> [String] { objects(value).compactMap { $0["name"] as? String } }

    /// Asserts an avatar object of `kind` named `name`.
    static func assertAvatar(_ value: Any?, name: String, kind: String, file: StaticString = #filePath, line: UInt = #line) {
        let avatar = object(value)
        XCTAssertEqual(avatar["name"] as? String, name, "\(avatar)", file: file, line: line)
        XCTAssertEqual(avatar["kind"] as? String, kind, "\(avatar)", file: file, line: line)
        XCTAssertEqual((avatar["hash"] as? String)?.count, 64, "\(avatar)", file: file, line: line)
        XCTAssertEqual((avatar["color"] as? String)?.first, "#", "\(avatar)", file: file, line: line)
    }

    /// Whether `token` looks like a Quay robot token: 64 characters of `[A-Z0-9]`.
    static func isRobotToken(_ token: String?) -> Bool {
        guard let token else { return false }
        return token.count == 64 && token.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    /// `GET /v2/` with Basic credentials; returns the status code.
    static func registryLogin(_ client: any TestClientProtocol, _ user: String, _ password: String) async throws -> Int {
        try await client.execute(uri: "/v2/", method: .get, headers: .basic(user, password)).status.code
    }
}
