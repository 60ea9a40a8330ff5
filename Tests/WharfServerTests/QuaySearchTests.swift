import Foundation
import HTTPTypes
import HummingbirdTesting
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// `/find/repositories` and `/find/all`: what each caller finds, the fields, the pages.
final class QuaySearchTests: XCTestCase {
    static func results(_ response: TestResponse) -> [[String: Any]] { OrgKit.objects(response.json["results"]) }
    static func names(_ response: TestResponse) -> Set<String> { Set(results(response).compactMap { $0["name"] as? String }) }

    func testPrivateRepositoriesAreFoundOnlyByReaders() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                try await world.repository("secret-tool")
                try await world.repository("public-tool", visibility: .public)
                try await world.repository("granted-tool")
                try await OrgKit.grant(world.aliceAPI, "acme/granted-tool", user: "carol", role: "read")

                let anonymous = try await world.anonymous.get("/api/v1/find/repositories?query=tool")
                XCTAssertEqual(anonymous.status, .ok, anonymous.text)
                XCTAssertEqual(Self.names(anonymous), ["public-tool"])
                let carol = try await world.carolAPI.get("/api/v1/find/repositories?query=tool")
                XCTAssertEqual(Self.names(carol), ["public-tool", "granted-tool"])
                let alice = try await world.aliceAPI.get("/api/v1/find/repositories?query=tool")
                XCTAssertEqual(Self.names(alice), ["public-tool", "granted-tool", "secret-tool"])
                let qualified = try await world.aliceAPI.get("/api/v1/find/repositories?query=acme/secret")
                XCTAssertEqual(Self.names(qualified), ["secret-tool"])

                let found = try await world.anonymous.get("/api/v1/find/repositories?query=public&includeUsage=true")
                let view = try XCTUnwrap(Self.results(found).first)
                XCTAssertEqual(view["kind"] as? String, "repository")
                XCTAssertEqual(view["title"] as? String, "repo")
                XCTAssertEqual(view["is_public"] as? Bool, true)
                XCTAssertEqual(view["href"] as? String, "/repository/acme/public-tool")
                XCTAssertEqual(view["score"] as? Double, 4)
                XCTAssertEqual(view["stars"] as? Int, 0)
                XCTAssertNotNil(view["popularity"])
                let namespace = OrgKit.object(view["namespace"])
                XCTAssertEqual(namespace["kind"] as? String, "organization")
                XCTAssertEqual(namespace["title"] as? String, "org")
                XCTAssertEqual(namespace["href"] as? String, "/organization/acme")
                XCTAssertEqual(found.json["page_size"] as? Int, 10)
                XCTAssertEqual(found.json["start_index"] as? Int, 0)

                let everyone = try await world.carolAPI.get("/api/v1/find/all?query=tool")
                XCTAssertEqual(everyone.status, .ok, everyone.text)
                let kinds = Self.results(everyone).map { "\($0["kind"] ?? "")/\($0["name"] ?? "")" }
                XCTAssertTrue(kinds.contains("repository/granted-tool") && !kinds.contains("repository/secret-tool"), "\(kinds)")
                let scores = Self.results(everyone).compactMap { $0["score"] as? Double }
                XCTAssertEqual(scores, scores.sorted(by: >), "best first")
                let empty = try await world.anonymous.get("/api/v1/find/all")
                XCTAssertEqual(Self.results(empty).count, 0)

                let teams = try await world.bobAPI.get("/api/v1/find/all?query=dev")
                let team = try XCTUnwrap(Self.results(teams).first { $0["kind"] as? String == "team" }, teams.text)
                XCTAssertEqual(team["name"] as? String, "devs")
                XCTAssertEqual(OrgKit.object(team["organization"])["name"] as? String, "acme")
                XCTAssertEqual(team["href"] as? String, "/organization/acme/teams/devs")
                let outsider = try await world.carolAPI.get("/api/v1/find/all?query=dev")
                XCTAssertFalse(Self.results(outsider).contains { $0["kind"] as? String == "team" },
                               "teams are found by their members and the organization's administrators only")
                let users = try await world.anonymous.get("/api/v1/find/all?query=car")
                XCTAssertTrue(Self.results(users).contains { $0["kind"] as? String == "user" && $0["name"] as? String == "carol" }, users.text)
            }
        }
    }

    func testRepositorySearchPagesStopAtTheLimit() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                for index in 0..<25 { try await world.repository(String(format: "pkg%02d", index), visibility: .public) }
                var seen: [String] = []
                for page in 1...3 {
                    let response = try await world.anonymous.get("/api/v1/find/repositories?query=pkg&page=\(page)")
                    XCTAssertEqual(response.json["page"] as? Int, page)
                    XCTAssertEqual(response.json["start_index"] as? Int, (page - 1) * 10)
                    XCTAssertEqual(response.json["has_additional"] as? Bool, page < 3)
                    seen += Self.results(response).compactMap { $0["name"] as? String }
                }
                XCTAssertEqual(seen.count, 25)
                XCTAssertEqual(Set(seen).count, 25)
                let beyond = try await world.anonymous.get("/api/v1/find/repositories?query=pkg&page=99")
                XCTAssertEqual(beyond.json["page"] as? Int, 10, "pages stop at Quay's SEARCH_MAX_RESULT_PAGE_COUNT")
                XCTAssertEqual(Self.results(beyond).count, 0)
                let bad = try await world.anonymous.get("/api/v1/find/repositories?page=x")
                XCTAssertEqual(bad.status.code, 400)
            }
        }
    }
}
