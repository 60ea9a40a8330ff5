import Foundation
import HTTPTypes
import HummingbirdTesting
import WharfIdentity
import WharfQuayAPI
import XCTest

/// `/api/v1/discovery` describes exactly the routes the server serves.
final class QuayDiscoveryTests: XCTestCase {
    func testTheDocumentListsEveryServedRouteAndNothingElse() async throws {
        let server = try await TestServer.make(database: nil)
        try await server.run { client in
            let response = try await client.execute(uri: "/api/v1/discovery", method: .get)
            XCTAssertEqual(response.status, .ok)
            XCTAssertEqual(response.json["swagger"] as? String, "2.0")
            let paths = OrgKit.object(response.json["paths"])
            let definitions = OrgKit.object(response.json["definitions"])
            XCTAssertNotNil(definitions["ApiError"])

            let routes = QuayRouteTable.routes(server.server.services)
            var described = 0
            for route in routes {
                let operation = OrgKit.object(paths[route.path].map(OrgKit.object)?[route.method.rawValue.lowercased()])
                if route.availability == .pending {
                    XCTAssertTrue(operation.isEmpty, "\(route.method) \(route.path) is not served and not described")
                    continue
                }
                described += 1
                XCTAssertEqual(operation["operationId"] as? String, route.operationID, "\(route.method) \(route.path)")
                let security = (operation["security"] as? [[String: [String]]])?.first?["oauth2_implicit"]
                XCTAssertEqual(security, route.scope.map { [$0.rawValue] }, "\(route.method) \(route.path)")
                let query = OrgKit.objects(operation["parameters"]).filter { $0["in"] as? String == "query" }.compactMap { $0["name"] as? String }
                XCTAssertEqual(query, route.query.map(\.name))
                if let body = route.body { XCTAssertNotNil(definitions[body.name], body.name) }
                let pathParameters = OrgKit.objects(OrgKit.object(paths[route.path])["parameters"]).compactMap { $0["name"] as? String }
                XCTAssertEqual(pathParameters, route.pathParameters, route.path)
            }
            let operations = paths.values.map { OrgKit.object($0).keys.filter { $0 != "parameters" }.count }.reduce(0, +)
            XCTAssertEqual(operations, described, "nothing is described that the table does not serve")

            let logs = OrgKit.object(OrgKit.object(paths["/api/v1/repository/{repository}/logs"])["get"])
            XCTAssertEqual(logs["operationId"] as? String, "listRepoLogs")
            XCTAssertEqual(Set(OrgKit.objects(logs["parameters"]).compactMap { $0["name"] as? String }), ["starttime", "endtime", "next_page"])

            // Every described operation reaches its handler: none answers "not supported yet" or 405.
            for (path, item) in paths {
                let concrete = path.replacingOccurrences(of: "{repository}", with: "nobody/nothing")
                    .replacingOccurrences(of: #"\{[a-z_]+\}"#, with: "x", options: .regularExpression)
                for method in OrgKit.object(item).keys where method != "parameters" {
                    let deprecated = OrgKit.object(OrgKit.object(item)[method])["deprecated"] as? Bool ?? false
                    let answer = try await client.execute(uri: concrete, method: HTTPRequest.Method(method.uppercased())!)
                    XCTAssertNotEqual(answer.status.code, 405, "\(method) \(path)")
                    if !deprecated {
                        XCTAssertFalse(answer.text.contains("not supported by Wharf yet"), "\(method) \(path): \(answer.text)")
                    }
                }
            }
        }
    }
}
