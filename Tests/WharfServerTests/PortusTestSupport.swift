import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// Calls to the Portus API as one caller: `Portus-Auth: <user>:<token>`, or no header at all.
struct PortusClient {
    let client: any TestClientProtocol
    /// The `Portus-Auth` value, or nil for calls without the header.
    let auth: String?

    static let authHeader = HTTPField.Name("Portus-Auth")!

    /// Sends `method path` with a JSON body (`json`), a form-encoded body (`form`) or a raw body.
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, json: Any? = nil, form: [(String, String)]? = nil,
              raw: String? = nil, contentType: String? = nil, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = extra
        if let auth { headers[Self.authHeader] = auth }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed]))
        } else if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            body = ByteBuffer(string: FormEncoding.encode(form))
        } else if let raw {
            body = ByteBuffer(string: raw)
        }
        if let contentType { headers[.contentType] = contentType }
        return try await client.execute(uri: path, method: method, headers: headers, body: body)
    }

    func get(_ path: String) async throws -> TestResponse { try await call(.get, path) }
    func post(_ path: String, _ json: Any? = nil) async throws -> TestResponse { try await call(.post, path, json: json) }
    func put(_ path: String, _ json: Any? = nil) async throws -> TestResponse { try await call(.put, path, json: json) }
    func delete(_ path: String) async throws -> TestResponse { try await call(.delete, path) }
}

/// A JSON value that keeps the order of each object's keys as the server wrote them (Foundation's
/// parser forgets it), read straight from the response bytes.
indirect enum OrderedJSON: Equatable, CustomStringConvertible {
    case object([(String, OrderedJSON)])
    case array([OrderedJSON])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    static func == (lhs: OrderedJSON, rhs: OrderedJSON) -> Bool {
        switch (lhs, rhs) {
        case let (.object(a), .object(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.array(a), .array(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    var description: String {
        switch self {
        case .object(let members): return "{" + members.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
        case .array(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .string(let text): return "\"\(text)\""
        case .number(let number): return String(number)
        case .bool(let flag): return String(flag)
        case .null: return "null"
        }
    }

    /// The keys of an object in the order they were written (empty for anything else).
    var keys: [String] {
        if case .object(let members) = self { return members.map(\.0) }
        return []
    }

    var items: [OrderedJSON] {
        if case .array(let items) = self { return items }
        return []
    }

    subscript(key: String) -> OrderedJSON? {
        if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }

    var isNull: Bool { self == .null }

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ data: Data) throws -> OrderedJSON {
        var parser = Parser(bytes: Array(data))
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw ParseError(description: "trailing bytes at \(parser.index)") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else {
                throw ParseError(description: "expected \(Character(UnicodeScalar(byte))) at \(index)")
            }
            index += 1
        }

        mutating func literal(_ text: String) throws {
            for byte in text.utf8 {
                guard index < bytes.count, bytes[index] == byte else { throw ParseError(description: "expected \(text) at \(index)") }
                index += 1
            }
        }

        mutating func value() throws -> OrderedJSON {
            skipSpace()
            guard index < bytes.count else { throw ParseError(description: "unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var members: [(String, OrderedJSON)] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                while true {
                    skipSpace()
                    let key = try string()
                    try expect(UInt8(ascii: ":"))
                    members.append((key, try value()))
                    skipSpace()
                    guard index < bytes.count else { throw ParseError(description: "unterminated object") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    try expect(UInt8(ascii: "}"))
                    return .object(members)
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [OrderedJSON] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                while true {
                    items.append(try value())
                    skipSpace()
                    guard index < bytes.count else { throw ParseError(description: "unterminated array") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    try expect(UInt8(ascii: "]"))
                    return .array(items)
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default:
                let start = index
                while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
                guard let number = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else {
                    throw ParseError(description: "bad value at \(start)")
                }
                return .number(number)
            }
        }

        mutating func string() throws -> String {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw ParseError(description: "expected a string at \(index)") }
            let start = index
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard index < bytes.count else { throw ParseError(description: "unterminated string") }
            index += 1
            let literal = Data(bytes[start..<index])
            guard let text = try JSONSerialization.jsonObject(with: literal, options: [.fragmentsAllowed]) as? String else {
                throw ParseError(description: "bad string at \(start)")
            }
            return text
        }
    }
}

/// The field lists, in order, of Portus's entities in their official (`Portus-Auth`) presentation
/// (portus.md §2.4).
enum PortusShape {
    static let user = ["id", "username", "email", "current_sign_in_at", "last_sign_in_at", "created_at", "updated_at", "admin", "enabled",
                       "locked_at", "namespace_id", "display_name", "bot"]
    static let applicationToken = ["id", "application"]
    static let createdToken = ["id", "application", "plain_token"]
    static let registry = ["id", "name", "hostname", "external_hostname", "use_ssl", "created_at", "updated_at"]
    static let namespace = ["id", "name", "created_at", "updated_at", "description", "team", "visibility", "global"]
    static let namespaceTeam = ["id", "name", "hidden"]
    static let team = ["id", "name", "created_at", "updated_at", "description", "hidden"]
    static let member = ["id", "team_id", "user_id", "created_at", "updated_at", "role", "display_name"]
    static let repository = ["id", "name", "full_name", "created_at", "updated_at", "description", "namespace", "registry_hostname", "stars",
                             "tags_count", "starred", "destroyable"]
    static let repositoryNamespace = ["id", "name"]
    static let tag = ["id", "name", "author", "digest", "image_id", "created_at", "updated_at", "size", "scanned", "vulnerabilities"]
    static let author = ["id", "name"]
    static let status = ["messages", "valid"]
    static let version = ["api-versions", "git", "version"]
    static let health = ["database", "registry"]
    static let healthItem = ["msg", "success"]

    /// Rails' time format: ISO 8601 in UTC with milliseconds.
    static func isTime(_ value: OrderedJSON?) -> Bool {
        guard case .string(let text)? = value else { return false }
        return text.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression) != nil
    }
}

extension TestResponse {
    /// The body with its objects' keys in written order.
    var ordered: OrderedJSON {
        (try? OrderedJSON.parse(Data(body.readableBytesView))) ?? .null
    }

    /// Asserts a Portus error: `status` and `{"message": message}` (exactly), with the CORS headers.
    func assertPortus(_ status: Int, _ message: String, _ context: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(self.status.code, status, "\(context) \(text)", file: file, line: line)
        XCTAssertEqual(ordered, .object([("message", .string(message))]), "\(context) \(text)", file: file, line: line)
        assertPortusCORS(context, file: file, line: line)
    }

    /// Asserts a 400 for parameters (Grape's shape): `{"message": {"[\"name\"]": [messages]}}`, keys in order.
    func assertBadParameters(_ problems: [(String, [String])], _ context: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(status.code, 400, "\(context) \(text)", file: file, line: line)
        let expected = OrderedJSON.object(problems.map { ("[\"\($0.0)\"]", .array($0.1.map(OrderedJSON.string))) })
        XCTAssertEqual(ordered, .object([("message", expected)]), "\(context) \(text)", file: file, line: line)
        assertPortusCORS(context, file: file, line: line)
    }

    /// Asserts a 422 with field errors: `{"message": {field: [messages]}}` (fields in any order).
    func assertFieldErrors(_ fields: [String: [String]], _ context: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(status.code, 422, "\(context) \(text)", file: file, line: line)
        XCTAssertEqual(json.keys.sorted(), ["message"], "\(context) \(text)", file: file, line: line)
        let message = json["message"] as? [String: [String]]
        XCTAssertEqual(message, fields, "\(context) \(text)", file: file, line: line)
        assertPortusCORS(context, file: file, line: line)
    }

    /// Asserts the CORS headers Portus puts on every answer.
    func assertPortusCORS(_ context: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(header("Access-Control-Allow-Origin"), "*", "\(context) CORS", file: file, line: line)
        XCTAssertEqual(header("Access-Control-Request-Method"), "*", "\(context) CORS", file: file, line: line)
        XCTAssertEqual(header("Access-Control-Allow-Headers"), "Content-Type, api_key, Authorization, portus-auth", "\(context) CORS",
                       file: file, line: line)
    }

    /// Asserts the body is an object with exactly `keys`, in that order.
    func assertKeys(_ keys: [String], _ context: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(ordered.keys, keys, "\(context) \(text)", file: file, line: line)
    }

    /// Asserts the body is an array whose every element is an object with exactly `keys`, in order; returns the elements.
    @discardableResult
    func assertList(_ keys: [String], count: Int? = nil, _ context: String = "", file: StaticString = #filePath, line: UInt = #line) -> [OrderedJSON] {
        guard case .array(let items) = ordered else {
            XCTFail("\(context) not an array: \(text)", file: file, line: line)
            return []
        }
        if let count { XCTAssertEqual(items.count, count, "\(context) \(text)", file: file, line: line) }
        for item in items { XCTAssertEqual(item.keys, keys, "\(context) \(item)", file: file, line: line) }
        return items
    }

    /// `id` of an object body.
    var id: Int64? { (json["id"] as? NSNumber)?.int64Value }
}

extension OrderedJSON {
    var int: Int64? {
        if case .number(let number) = self { return Int64(number) }
        return nil
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var bool: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }
}

/// A user of the Portus fixtures: its id, its application token and a client that authenticates with them.
struct PortusUser {
    let name: String
    let id: Int64
    let token: String
    let api: PortusClient

    /// `docker login -u <name> -p <application token>`.
    var basic: HTTPFields { .basic(name, token) }
}

/// A small Portus installation set up through the Portus API: `root` (bootstrapped administrator),
/// the team `devs` (made by `root` for `owner`, who adds `contributor` and `viewer`), a user `outsider`
/// in no team, and the private namespace `devspace` owned by `devs` (made by `root`, so that the world
/// can be built whatever the `PORTUS_CREATE_*` switches say).
struct PortusWorld {
    let server: TestServer
    let client: any TestClientProtocol
    let root: PortusUser
    let owner: PortusUser
    let contributor: PortusUser
    let viewer: PortusUser
    let outsider: PortusUser
    let teamID: Int64
    let namespaceID: Int64
    /// Membership (team_users) ids in `devs`, by user name.
    let memberships: [String: Int64]

    var anonymous: PortusClient { PortusClient(client: client, auth: nil) }
    var badToken: PortusClient { PortusClient(client: client, auth: "\(viewer.name):\(String(repeating: "x", count: 120))") }
    var store: MetadataStore { server.server.store }

    static func make(_ server: TestServer, _ client: any TestClientProtocol, file: StaticString = #filePath, line: UInt = #line) async throws -> PortusWorld {
        let root = try await PortusKit.bootstrap(client, "root", file: file, line: line)
        let owner = try await PortusKit.createUser(root.api, "owner", file: file, line: line)
        let contributor = try await PortusKit.createUser(root.api, "contributor", file: file, line: line)
        let viewer = try await PortusKit.createUser(root.api, "viewer", file: file, line: line)
        let outsider = try await PortusKit.createUser(root.api, "outsider", file: file, line: line)
        let teamID = try await PortusKit.createTeam(root.api, "devs", ownerID: owner.id, file: file, line: line)
        var memberships: [String: Int64] = [:]
        memberships["contributor"] = try await PortusKit.addMember(owner.api, team: teamID, "contributor", role: "contributor", file: file, line: line)
        memberships["viewer"] = try await PortusKit.addMember(owner.api, team: teamID, "viewer", role: "viewer", file: file, line: line)
        let owned = try await server.server.store.teamMember(teamID: teamID, accountID: owner.id)
        memberships["owner"] = try XCTUnwrap(owned, file: file, line: line).id
        let namespaceID = try await PortusKit.createNamespace(root.api, "devspace", team: "devs", file: file, line: line)
        return PortusWorld(server: server, client: client, root: root, owner: owner, contributor: contributor, viewer: viewer, outsider: outsider,
                           teamID: teamID, namespaceID: namespaceID, memberships: memberships)
    }

    /// Pushes a one-layer image as `user` (Basic auth with its application token).
    @discardableResult
    func push(_ name: String, tag: String, as user: PortusUser, layer: String = "layer") async throws -> Data {
        try await RegistryCalls(client: client, auth: user.basic).pushImage(name, tag: tag, layer: layer)
    }

    /// The repository `namespace/name`.
    func repository(_ namespace: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) async throws -> RepositoryRecord {
        let found = try await store.repository(namespace: namespace, name: name)
        return try XCTUnwrap(found, "\(namespace)/\(name)", file: file, line: line)
    }

    /// The ids of the alive tags of a repository, by name.
    func tagIDs(_ repository: RepositoryRecord) async throws -> [String: Int64] {
        Dictionary(uniqueKeysWithValues: try await store.tagOverviews(repositoryID: repository.id).map { ($0.name, $0.id) })
    }
}

/// Portus API steps used by the fixtures; each asserts its documented status and shape.
enum PortusKit {
    /// `POST /api/v1/users/bootstrap`: the first administrator and its `bootstrap` token.
    static func bootstrap(_ client: any TestClientProtocol, _ name: String, file: StaticString = #filePath, line: UInt = #line) async throws -> PortusUser {
        let anonymous = PortusClient(client: client, auth: nil)
        let response = try await anonymous.post("/api/v1/users/bootstrap",
                                                ["user": ["username": name, "email": "\(name)@example.com", "password": "password1"]])
        XCTAssertEqual(response.status, .created, response.text, file: file, line: line)
        response.assertKeys(PortusShape.createdToken, file: file, line: line)
        XCTAssertEqual(response.json["application"] as? String, "bootstrap", file: file, line: line)
        let token = try XCTUnwrap(response.json["plain_token"] as? String, response.text, file: file, line: line)
        let account = try await PortusKit.account(client, name, token: token, file: file, line: line)
        return PortusUser(name: name, id: account, token: token, api: PortusClient(client: client, auth: "\(name):\(token)"))
    }

    /// The id of user `name`, read with its own token (`GET /api/v1/users/{id}/application_tokens` needs the id,
    /// so it is looked up through the namespaces list: a user's personal namespace has the user's id).
    private static func account(_ client: any TestClientProtocol, _ name: String, token: String,
                                file: StaticString = #filePath, line: UInt = #line) async throws -> Int64 {
        let api = PortusClient(client: client, auth: "\(name):\(token)")
        let listed = try await api.get("/api/v1/namespaces?all=true")
        XCTAssertEqual(listed.status, .ok, listed.text, file: file, line: line)
        let personal = listed.ordered.items.first { $0["name"]?.string == name }
        return try XCTUnwrap(personal?["id"]?.int, "\(name)'s personal namespace in \(listed.text)", file: file, line: line)
    }

    /// `POST /api/v1/users` by an administrator, then a token (`cli`) for the new user.
    static func createUser(_ admin: PortusClient, _ name: String, file: StaticString = #filePath, line: UInt = #line) async throws -> PortusUser {
        let created = try await admin.post("/api/v1/users", ["user": ["username": name, "email": "\(name)@example.com", "password": "password1"]])
        XCTAssertEqual(created.status, .created, created.text, file: file, line: line)
        created.assertKeys(PortusShape.user, file: file, line: line)
        let id = try XCTUnwrap(created.id, created.text, file: file, line: line)
        let token = try await createToken(admin, user: id, application: "cli", file: file, line: line)
        return PortusUser(name: name, id: id, token: token, api: PortusClient(client: admin.client, auth: "\(name):\(token)"))
    }

    /// `POST /api/v1/users/{id}/application_tokens`; returns the plain token.
    static func createToken(_ api: PortusClient, user: Int64, application: String, file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let response = try await api.post("/api/v1/users/\(user)/application_tokens", ["application": application])
        XCTAssertEqual(response.status, .created, response.text, file: file, line: line)
        response.assertKeys(PortusShape.createdToken, file: file, line: line)
        return try XCTUnwrap(response.json["plain_token"] as? String, response.text, file: file, line: line)
    }

    /// `POST /api/v1/teams`; returns the team's id.
    static func createTeam(_ api: PortusClient, _ name: String, description: String? = nil, ownerID: Int64? = nil,
                           file: StaticString = #filePath, line: UInt = #line) async throws -> Int64 {
        var body: [String: Any] = ["name": name]
        if let description { body["description"] = description }
        if let ownerID { body["owner_id"] = ownerID }
        let response = try await api.post("/api/v1/teams", body)
        XCTAssertEqual(response.status, .created, response.text, file: file, line: line)
        response.assertKeys(PortusShape.team, file: file, line: line)
        return try XCTUnwrap(response.id, response.text, file: file, line: line)
    }

    /// `POST /api/v1/teams/{id}/members`; returns the membership's id.
    static func addMember(_ api: PortusClient, team: Int64, _ user: String, role: String,
                          file: StaticString = #filePath, line: UInt = #line) async throws -> Int64 {
        let response = try await api.post("/api/v1/teams/\(team)/members", ["user": user, "role": role])
        XCTAssertEqual(response.status, .created, response.text, file: file, line: line)
        response.assertKeys(PortusShape.member, file: file, line: line)
        XCTAssertEqual(response.json["role"] as? String, role, file: file, line: line)
        return try XCTUnwrap(response.id, response.text, file: file, line: line)
    }

    /// `POST /api/v1/namespaces`; returns the namespace's id.
    static func createNamespace(_ api: PortusClient, _ name: String, team: String, description: String? = nil,
                                file: StaticString = #filePath, line: UInt = #line) async throws -> Int64 {
        var body: [String: Any] = ["name": name, "team": team]
        if let description { body["description"] = description }
        let response = try await api.post("/api/v1/namespaces", body)
        XCTAssertEqual(response.status, .created, response.text, file: file, line: line)
        response.assertKeys(PortusShape.namespace, file: file, line: line)
        return try XCTUnwrap(response.id, response.text, file: file, line: line)
    }

    /// `PUT /api/v1/namespaces/{id}` with `namespace[...]` fields; asserts `status`.
    @discardableResult
    static func updateNamespace(_ api: PortusClient, _ id: Int64, _ fields: [String: Any], status: Int = 200,
                                file: StaticString = #filePath, line: UInt = #line) async throws -> TestResponse {
        let response = try await api.put("/api/v1/namespaces/\(id)", ["namespace": fields])
        XCTAssertEqual(response.status.code, status, response.text, file: file, line: line)
        return response
    }

    /// A user made straight in the store (no password, so no bcrypt): for lists that need many users.
    @discardableResult
    static func quickUser(_ store: MetadataStore, _ name: String) async throws -> AccountRecord {
        try await store.createUser(username: name, email: "\(name)@example.com", passwordHash: nil)
    }
}
