import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import WharfOCI
import WharfServer
import XCTest

/// The databases the integration tests run against: SQLite always, PostgreSQL when
/// `WHARF_TEST_POSTGRES_URI` names a server (CI starts one).
enum TestDatabases {
    static var all: [String?] {
        var uris: [String?] = [nil]
        if let postgres = ProcessInfo.processInfo.environment["WHARF_TEST_POSTGRES_URI"], !postgres.isEmpty { uris.append(postgres) }
        return uris
    }

    static func label(_ uri: String?) -> String { uri == nil ? "sqlite" : "postgres" }

    /// Empties the PostgreSQL test database so each test starts from nothing.
    static func reset(_ uri: String?) async throws {
        guard let uri else { return }
        let pool = try await DatabasePool.open(uri: uri, defaultSQLitePath: "", logger: Logger(label: "test"))
        try await pool.withDatabase { db in
            try await db.raw("DROP SCHEMA public CASCADE").run()
            try await db.raw("CREATE SCHEMA public").run()
        }
        try await pool.shutdown()
    }
}

/// A Wharf server with its own data directory, run on a loopback port for the duration of a test.
struct TestServer {
    let configuration: WharfConfiguration
    let server: WharfServer

    static func make(database: String?, dataDirectory: String? = nil, logger custom: Logger? = nil,
                     configure: (inout WharfConfiguration) -> Void = { _ in }) async throws -> TestServer {
        var configuration = WharfConfiguration()
        configuration.hostname = "127.0.0.1"
        configuration.port = 0
        configuration.dataDirectory = dataDirectory ?? NSTemporaryDirectory() + "wharf-test-" + UUID().uuidString
        configuration.databaseURI = database
        configuration.superUsers = ["admin"]
        configure(&configuration)
        var logger = custom ?? Logger(label: "wharf-test")
        if custom == nil { logger.logLevel = .warning }
        let server = try await WharfServer.assemble(configuration, logger: logger)
        return TestServer(configuration: configuration, server: server)
    }

    /// Runs `body` against the live server; shuts the store down afterwards.
    func run(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        do {
            try await server.application().test(.live) { client in try await body(client) }
        } catch {
            try? await server.store.shutdown()
            throw error
        }
        try await server.store.shutdown()
    }

    /// Creates a user with a password.
    @discardableResult
    func user(_ name: String, password: String = "password1") async throws -> AccountRecord {
        try await server.accounts.createUser(username: name, password: password, email: "\(name)@example.com")
    }
}

/// Runs `body` once per test database, each time against a new server.
func withEachDatabase(file: StaticString = #filePath, line: UInt = #line,
                      _ body: (String?) async throws -> Void) async throws {
    for database in TestDatabases.all {
        try await TestDatabases.reset(database)
        do {
            try await body(database)
        } catch {
            XCTFail("[\(TestDatabases.label(database))] \(error)", file: file, line: line)
            throw error
        }
    }
}

/// HTTP helpers for registry calls.
extension HTTPFields {
    static func basic(_ user: String, _ password: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    func adding(_ name: String, _ value: String) -> HTTPFields {
        var copy = self
        copy[HTTPField.Name(name)!] = value
        return copy
    }
}

extension TestResponse {
    /// The body as text.
    var text: String { String(buffer: body) }

    /// The first error code of an OCI error body.
    var errorCode: String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let errors = object["errors"] as? [[String: Any]] else { return nil }
        return errors.first?["code"] as? String
    }

    func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    }
}

/// Builds blobs and manifests for tests.
enum Fixtures {
    static func blob(_ text: String) -> (bytes: ByteBuffer, digest: Digest) {
        (ByteBuffer(string: text), Digest.of(Data(text.utf8)))
    }

    /// An OCI image manifest referencing `config` and `layers`.
    static func imageManifest(config: (ByteBuffer, Digest), layers: [(ByteBuffer, Digest)],
                              subject: (String, Int)? = nil, artifactType: String? = nil, annotations: [String: String]? = nil) -> Data {
        var object: [String: Any] = [
            "schemaVersion": 2,
            "mediaType": MediaType.ociManifest,
            "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": config.1.description, "size": config.0.readableBytes],
            "layers": layers.map { ["mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": $0.1.description, "size": $0.0.readableBytes] },
        ]
        if let subject { object["subject"] = ["mediaType": MediaType.ociManifest, "digest": subject.0, "size": subject.1] }
        if let artifactType { object["artifactType"] = artifactType }
        if let annotations { object["annotations"] = annotations }
        return try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
}

/// Registry operations used by many tests.
struct RegistryCalls {
    let client: any TestClientProtocol
    let auth: HTTPFields

    /// Uploads a blob monolithically; returns the response status.
    @discardableResult
    func pushBlob(_ name: String, _ blob: (bytes: ByteBuffer, digest: Digest)) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/v2/\(name)/blobs/uploads/?digest=\(blob.digest)", method: .post, headers: auth, body: blob.bytes).status
    }

    /// Pushes a manifest; returns the response.
    func putManifest(_ name: String, _ reference: String, _ bytes: Data, type: String = MediaType.ociManifest) async throws -> TestResponse {
        try await client.execute(uri: "/v2/\(name)/manifests/\(reference)", method: .put,
                                 headers: auth.adding("Content-Type", type), body: ByteBuffer(bytes: bytes))
    }

    /// Pushes a one-layer image and tags it; returns the manifest bytes.
    func pushImage(_ name: String, tag: String, layer text: String = "layer") async throws -> Data {
        let config = Fixtures.blob("{\"config\":\"\(text)\"}")
        let layer = Fixtures.blob(text)
        try await pushBlob(name, config)
        try await pushBlob(name, layer)
        let manifest = Fixtures.imageManifest(config: config, layers: [layer])
        let response = try await putManifest(name, tag, manifest)
        XCTAssertEqual(response.status, .created, response.text)
        return manifest
    }
}
