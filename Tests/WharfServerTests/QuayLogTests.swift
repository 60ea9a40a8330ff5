import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// Usage logs: what the registry and the API record, the user, organization, repository and superuser
/// views with their windows and pages, the aggregates and the exports.
final class QuayLogTests: XCTestCase {
    static func logs(_ response: TestResponse) -> [[String: Any]] { OrgKit.objects(response.json["logs"]) }

    /// Every page of `path`, following `next_page` to the end.
    static func walk(_ api: QuayClient, _ path: String) async throws -> [[String: Any]] {
        var all: [[String: Any]] = []
        var token: String?
        repeat {
            let separator = path.contains("?") ? "&" : "?"
            let page = try await api.get(path + (token.map { "\(separator)next_page=\($0)" } ?? ""))
            XCTAssertEqual(page.status, .ok, page.text)
            let entries = logs(page)
            XCTAssertLessThanOrEqual(entries.count, 20)
            all += entries
            token = page.json["next_page"] as? String
            if token != nil { XCTAssertEqual(entries.count, 20, "only the last page is short") }
        } while token != nil
        return all
    }

    static let today: String = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "MM/dd/yyyy"
        return formatter.string(from: Date())
    }()

    func testRegistryAndAPIActionsAppearInTheLogViews() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("admin")
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                let registry = RegistryCalls(client: client, auth: Auth.alice)
                _ = try await registry.pushImage("alice/app", tag: "v1")
                for _ in 0..<24 {
                    let pulled = try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .get,
                                                          headers: Auth.alice.adding("User-Agent", "wharf-test"))
                    XCTAssertEqual(pulled.status, .ok)
                }
                _ = try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .head, headers: Auth.alice)
                await server.server.deliverer.flush()

                let mine = try await Self.walk(world.aliceAPI, "/api/v1/user/logs")
                let kinds = mine.compactMap { $0["kind"] as? String }
                XCTAssertEqual(kinds.filter { $0 == "pull_repo" }.count, 24, "GETs are logged, HEADs are not")
                XCTAssertEqual(kinds.filter { $0 == "push_repo" }.count, 1)
                XCTAssertTrue(kinds.contains("create_repo"), "\(kinds)")
                let stored = try await server.server.store.logEntries(accountID: world.alice.id, limit: 1000)
                XCTAssertEqual(mine.count, stored.count, "the pages hold every entry once: \(kinds) vs \(stored.map(\.kind))")
                let pull = try XCTUnwrap(mine.first { $0["kind"] as? String == "pull_repo" })
                let metadata = OrgKit.object(pull["metadata"])
                XCTAssertEqual(metadata["repo"] as? String, "app")
                XCTAssertEqual(metadata["namespace"] as? String, "alice")
                XCTAssertEqual(metadata["tag"] as? String, "v1")
                XCTAssertEqual(metadata["username"] as? String, "alice")
                XCTAssertEqual(metadata["user-agent"] as? String, "wharf-test")
                XCTAssertEqual(pull["ip"] as? String, "127.0.0.1")
                XCTAssertNotNil(pull["datetime"] as? String)
                let performer = OrgKit.object(pull["performer"])
                XCTAssertEqual(performer["kind"] as? String, "user")
                XCTAssertEqual(performer["name"] as? String, "alice")
                XCTAssertEqual(performer["is_robot"] as? Bool, false)
                XCTAssertNotNil(performer["avatar"] as? [String: Any])
                XCTAssertNil(pull["namespace"], "only the superuser view names the namespace")

                let nobody = try await world.aliceAPI.get("/api/v1/user/logs?performer=nobody")
                XCTAssertEqual(Self.logs(nobody).count, 0)
                let byAlice = try await Self.walk(world.aliceAPI, "/api/v1/user/logs?performer=alice")
                XCTAssertEqual(byAlice.count, mine.filter { OrgKit.object($0["performer"])["name"] as? String == "alice" }.count)
                XCTAssertLessThan(byAlice.count, mine.count, "user_create has no performer")
                let today = try await Self.walk(world.aliceAPI, "/api/v1/user/logs?starttime=\(Self.today)&endtime=\(Self.today)")
                XCTAssertEqual(today.count, mine.count, "the end day is included")
                let future = try await world.aliceAPI.get("/api/v1/user/logs?starttime=01/01/2099")
                XCTAssertEqual(future.status.code, 400, "a window that ends before it starts is refused")
                XCTAssertNotNil(future.json["message"])
                let past = try await world.aliceAPI.get("/api/v1/user/logs?starttime=01/01/2020&endtime=01/02/2020")
                XCTAssertEqual(Self.logs(past).count, 0)
                XCTAssertEqual(past.json["start_time"] as? String, "Wed, 01 Jan 2020 00:00:00 -0000")
                XCTAssertEqual(past.json["end_time"] as? String, "Fri, 03 Jan 2020 00:00:00 -0000")

                let repository = try await Self.walk(world.aliceAPI, "/api/v1/repository/alice/app/logs")
                XCTAssertEqual(Set(repository.compactMap { $0["kind"] as? String }), ["create_repo", "push_repo", "pull_repo"])
                try await world.bobAPI.get("/api/v1/repository/alice/app/logs").assertAPIError(403, "insufficient_scope")
                try await world.anonymous.get("/api/v1/repository/alice/app/logs").assertAPIError(401, "invalid_token")

                let organization = try await Self.walk(world.aliceAPI, "/api/v1/organization/acme/logs")
                let orgKinds = Set(organization.compactMap { $0["kind"] as? String })
                XCTAssertTrue(orgKinds.isSuperset(of: ["org_create", "org_create_team", "org_add_team_member"]), "\(orgKinds)")
                XCTAssertFalse(orgKinds.contains("pull_repo"), "alice's own namespace is not the organization's")
                try await world.bobAPI.get("/api/v1/organization/acme/logs").assertAPIError(403, "insufficient_scope")
                try await world.anonymous.get("/api/v1/organization/acme/logs").assertAPIError(401, "invalid_token")
                let admin = try await server.server.store.account(named: "admin")
                let adminAPI = try await server.quay(client, as: try XCTUnwrap(admin))
                let everything = try await Self.walk(adminAPI, "/api/v1/superuser/logs")
                XCTAssertGreaterThan(everything.count, mine.count)
                let namespaced = try XCTUnwrap(everything.first { $0["kind"] as? String == "org_create" })
                XCTAssertEqual(OrgKit.object(namespaced["namespace"])["name"] as? String, "acme")
                XCTAssertEqual(OrgKit.object(namespaced["namespace"])["kind"] as? String, "org")
                try await world.aliceAPI.get("/api/v1/superuser/logs").assertAPIError(403, "insufficient_scope")

                let aggregate = try await world.aliceAPI.get("/api/v1/user/aggregatelogs")
                XCTAssertEqual(aggregate.status, .ok, aggregate.text)
                let counts = OrgKit.objects(aggregate.json["aggregated"])
                let pulls = try XCTUnwrap(counts.first { $0["kind"] as? String == "pull_repo" })
                XCTAssertEqual(pulls["count"] as? Int, 24)
                XCTAssertTrue((pulls["datetime"] as? String)?.hasSuffix("00:00:00 -0000") ?? false, "\(pulls)")
                let repoCounts = try await world.aliceAPI.get("/api/v1/repository/alice/app/aggregatelogs")
                XCTAssertEqual(OrgKit.objects(repoCounts.json["aggregated"]).compactMap { $0["count"] as? Int }.reduce(0, +), repository.count)
                let orgCounts = try await world.aliceAPI.get("/api/v1/organization/acme/aggregatelogs")
                XCTAssertEqual(OrgKit.objects(orgCounts.json["aggregated"]).compactMap { $0["count"] as? Int }.reduce(0, +), organization.count)
                let tooLong = try await world.aliceAPI.get("/api/v1/user/aggregatelogs?starttime=01/01/2020&endtime=12/31/2020")
                XCTAssertEqual(tooLong.status.code, 400, tooLong.text)
                try await world.bobAPI.get("/api/v1/organization/acme/aggregatelogs").assertAPIError(403, "insufficient_scope")
                let allCounts = try await adminAPI.get("/api/v1/superuser/aggregatelogs")
                XCTAssertEqual(allCounts.status, .ok, allCounts.text)
            }
        }
    }

    func testExportWritesTheDocumentAndRefusesBadCallbacks() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                _ = try await RegistryCalls(client: client, auth: Auth.alice).pushImage("alice/app", tag: "v1")
                await server.server.deliverer.flush()

                try await world.aliceAPI.post("/api/v1/user/exportlogs", ["callback_url": "ftp://example.com/x"])
                    .assertAPIError(400, "invalid_request")
                try await world.aliceAPI.post("/api/v1/user/exportlogs", ["callback_email": "nobody"]).assertAPIError(400, "invalid_request")
                try await world.aliceAPI.post("/api/v1/user/exportlogs").assertAPIError(400, "invalid_request")
                try await world.bobAPI.post("/api/v1/organization/acme/exportlogs", [String: Any]()).assertAPIError(403, "insufficient_scope")
                try await world.bobAPI.post("/api/v1/repository/alice/app/exportlogs", [String: Any]()).assertAPIError(403, "insufficient_scope")

                let queued = try await world.aliceAPI.post("/api/v1/repository/alice/app/exportlogs", [String: Any]())
                XCTAssertEqual(queued.status, .ok, queued.text)
                let id = try XCTUnwrap(queued.json["export_id"] as? String)
                let orgExport = try await world.aliceAPI.post("/api/v1/organization/acme/exportlogs", ["callback_email": "a@example.com"])
                XCTAssertEqual(orgExport.status, .ok, orgExport.text)

                await server.server.exports.drain()
                let exported = try await server.server.store.logExport(uuid: id)
                let record = try XCTUnwrap(exported)
                XCTAssertEqual(record.status, "success")
                let file = try await client.execute(uri: "/exportedlogs/\(record.fileName)", method: .get)
                XCTAssertEqual(file.status, .ok, file.text)
                XCTAssertEqual(file.json["export_id"] as? String, id)
                let details = OrgKit.object(file.json["details"])
                XCTAssertEqual(details["namespace"] as? String, "alice")
                XCTAssertEqual(details["repository"] as? String, "app")
                let entries = OrgKit.objects(file.json["logs"])
                XCTAssertEqual(entries.last?["terminator"] as? Bool, true)
                XCTAssertEqual(Set(entries.dropLast().compactMap { $0["kind"] as? String }), ["create_repo", "push_repo", "export_logs_success"],
                               "the export's own queueing is in its window")
                let guessed = try await client.execute(uri: "/exportedlogs/\(record.uuid)-wrong", method: .get)
                XCTAssertEqual(guessed.status, .notFound)

                let logged = try await Self.walk(world.aliceAPI, "/api/v1/repository/alice/app/logs")
                let success = try XCTUnwrap(logged.first { $0["kind"] as? String == "export_logs_success" })
                XCTAssertEqual(OrgKit.object(success["metadata"])["export_id"] as? String, id)
                let failures = try await Self.walk(world.aliceAPI, "/api/v1/user/logs")
                XCTAssertEqual(failures.filter { $0["kind"] as? String == "export_logs_failure" }.count, 2)
            }
        }
    }
}
