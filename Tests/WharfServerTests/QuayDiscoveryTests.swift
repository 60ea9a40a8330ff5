import Foundation
import HTTPTypes
import HummingbirdTesting
import WharfDomain
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

            let routes = QuayRouteTable.routes(server.server.quayServices)
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

            // One definition name, one schema: two routes naming the same body read the same properties.
            var schemas: [String: Set<String>] = [:]
            for route in routes where route.availability != .pending {
                guard let body = route.body else { continue }
                let properties = Set(body.properties.map(\.name))
                XCTAssertEqual(schemas[body.name] ?? properties, properties, "\(body.name) of \(route.method) \(route.path)")
                schemas[body.name] = properties
            }

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

    func testAccountAndOrganizationRoutesDescribeTheirBodiesAndQueries() async throws {
        let server = try await TestServer.make(database: nil)
        try await server.run { client in
            let document = try await client.execute(uri: "/api/v1/discovery", method: .get).json
            let paths = OrgKit.object(document["paths"])
            let definitions = OrgKit.object(document["definitions"])
            func operation(_ method: String, _ path: String) -> [String: Any] { OrgKit.object(OrgKit.object(paths[path])[method]) }
            /// The body parameter's schema name, whether the body is required, and the schema's properties and required ones.
            func body(_ method: String, _ path: String) -> (name: String, required: Bool, properties: [String: String], mandatory: Set<String>) {
                let parameter = OrgKit.objects(operation(method, path)["parameters"]).first { $0["in"] as? String == "body" } ?? [:]
                let name = (OrgKit.object(parameter["schema"])["$ref"] as? String)?.replacingOccurrences(of: "#/definitions/", with: "") ?? ""
                let schema = OrgKit.object(definitions[name])
                let properties = OrgKit.object(schema["properties"]).mapValues { OrgKit.object($0)["type"] as? String ?? "" }
                return (name, parameter["required"] as? Bool ?? false, properties, Set(schema["required"] as? [String] ?? []))
            }
            func query(_ method: String, _ path: String) -> [String: String] {
                Dictionary(uniqueKeysWithValues: OrgKit.objects(operation(method, path)["parameters"]).filter { $0["in"] as? String == "query" }
                    .compactMap { parameter in (parameter["name"] as? String).map { ($0, parameter["type"] as? String ?? "") } })
            }

            let organization = body("post", "/api/v1/organization/")
            XCTAssertEqual(organization.name, "NewOrg")
            XCTAssertTrue(organization.required)
            XCTAssertEqual(organization.properties, ["name": "string", "email": "string"])
            XCTAssertEqual(organization.mandatory, ["name"])
            XCTAssertEqual(OrgKit.object(definitions["NewOrg"])["description"] as? String, "Description of a new organization.")

            let team = body("put", "/api/v1/organization/{orgname}/team/{teamname}")
            XCTAssertEqual(team.name, "TeamDescription")
            XCTAssertEqual(team.properties, ["role": "string", "description": "string"])
            XCTAssertEqual(team.mandatory, ["role"])
            XCTAssertEqual(query("get", "/api/v1/organization/{orgname}/team/{teamname}/members"), ["includePending": "boolean"])

            for path in ["/api/v1/user/robots/{robot_shortname}", "/api/v1/organization/{orgname}/robots/{robot_shortname}"] {
                let robot = body("put", path)
                XCTAssertEqual(robot.name, "CreateRobot", path)
                XCTAssertFalse(robot.required, "an empty body creates a robot: \(path)")
                XCTAssertEqual(robot.properties, ["description": "string", "unstructured_metadata": "object"], path)
                XCTAssertEqual(robot.mandatory, [], path)
            }
            XCTAssertEqual(query("get", "/api/v1/organization/{orgname}/robots"), ["limit": "integer", "token": "boolean", "permissions": "boolean"])

            let userPermission = body("put", "/api/v1/repository/{repository}/permissions/user/{username}")
            XCTAssertEqual(userPermission.name, "UserPermission")
            XCTAssertEqual(userPermission.properties, ["role": "string"])
            XCTAssertEqual(userPermission.mandatory, ["role"])
            XCTAssertEqual(body("put", "/api/v1/repository/{repository}/permissions/team/{teamname}").name, "TeamPermission")

            let prototype = body("post", "/api/v1/organization/{orgname}/prototypes")
            XCTAssertEqual(prototype.name, "NewPrototype")
            XCTAssertEqual(prototype.properties, ["role": "string", "delegate": "object", "activating_user": "object"])
            XCTAssertEqual(prototype.mandatory, ["role", "delegate"])
            XCTAssertEqual(body("put", "/api/v1/organization/{orgname}/prototypes/{prototypeid}").name, "PrototypeUpdate")

            XCTAssertEqual(query("get", "/api/v1/superuser/users/"), ["next_page": "string", "limit": "integer", "disabled": "boolean"])
            XCTAssertEqual(body("post", "/api/v1/superuser/users/").mandatory, ["username"])

            let star = body("post", "/api/v1/user/starred")
            XCTAssertEqual(star.name, "NewStarredRepository")
            XCTAssertEqual(star.properties, ["namespace": "string", "repository": "string"])
            XCTAssertEqual(star.mandatory, ["namespace", "repository"])
            XCTAssertEqual(query("get", "/api/v1/user/starred"), ["next_page": "string"])

            let appToken = body("post", "/api/v1/user/apptoken")
            XCTAssertEqual(appToken.name, "NewToken")
            XCTAssertEqual(appToken.properties, ["title": "string"])
            XCTAssertEqual(appToken.mandatory, ["title"])
            XCTAssertEqual(query("get", "/api/v1/user/apptoken"), ["expiring": "boolean"])

            // The organization's own update and the superuser's read different fields, under different names.
            XCTAssertEqual(body("put", "/api/v1/organization/{orgname}").properties.keys.sorted(), ["contact_email", "email", "tag_expiration_s"])
            XCTAssertEqual(body("put", "/api/v1/superuser/organizations/{name}").properties.keys.sorted(), ["email", "name", "tag_expiration_s"])
            XCTAssertEqual(body("post", "/api/v1/messages").mandatory, ["message"])
            XCTAssertEqual(query("get", "/api/v1/entities/{prefix}"), ["includeOrgs": "boolean", "includeTeams": "boolean", "namespace": "string"])
            XCTAssertTrue(query("post", "/api/v1/organization/").isEmpty)
        }
    }
}
