import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// `/api/v1/registries…` (Wharf is the one registry), `_ping`, `health`, `/api/version`, CORS, unknown
/// routes and the split of `/api/v1` between the Portus and Quay APIs (portus.md §2.1, §2.5).
final class PortusRegistryAndStatusTests: XCTestCase {

    func testRegistries() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let root = try await PortusKit.bootstrap(client, "root")
                let plain = try await PortusKit.createUser(root.api, "plain")
                let hostname = server.configuration.effectiveServerHostname

                let listed = try await root.api.get("/api/v1/registries")
                XCTAssertEqual(listed.status, .ok, listed.text)
                listed.assertPortusCORS()
                let registry = try XCTUnwrap(listed.assertList(PortusShape.registry, count: 1).first)
                XCTAssertEqual(registry["name"]?.string, "Wharf", "REGISTRY_TITLE until a name is set")
                XCTAssertEqual(registry["hostname"]?.string, hostname)
                XCTAssertEqual(registry["external_hostname"], .null)
                XCTAssertEqual(registry["use_ssl"]?.bool, false)
                XCTAssertTrue(PortusShape.isTime(registry["created_at"]) && PortusShape.isTime(registry["updated_at"]), "\(registry)")
                let id = try XCTUnwrap(registry["id"]?.int)
                let refused = try await plain.api.get("/api/v1/registries")
                refused.assertPortus(403, "Authorization fails")

                // There is one registry: a second is refused as Portus refuses it.
                let second = try await root.api.post("/api/v1/registries", ["registry": ["name": "other", "hostname": "other:5000", "use_ssl": false]])
                second.assertFieldErrors(["uniqueness": ["You can only create one registry"]])
                let missing = try await root.api.post("/api/v1/registries", ["name": "flat"])
                missing.assertBadParameters([("registry", ["is missing"])])
                let badSSL = try await root.api.call(.post, "/api/v1/registries", form: [("registry[name]", "x"), ("registry[hostname]", "h"),
                                                                                        ("registry[use_ssl]", "maybe")])
                badSSL.assertBadParameters([("registry[use_ssl]", ["is invalid"])])
                let missingNested = try await root.api.post("/api/v1/registries", ["registry": ["name": "x"]])
                missingNested.assertBadParameters([("registry[hostname]", ["is missing"]), ("registry[use_ssl]", ["is missing"])])

                // Its name and external host name change; its host name and scheme are the configuration's.
                let renamed = try await root.api.put("/api/v1/registries/\(id)", ["registry": ["name": "Main", "external_hostname": "registry.example.com"]])
                XCTAssertEqual(renamed.status, .ok, renamed.text)
                renamed.assertKeys(PortusShape.registry)
                XCTAssertEqual(renamed.ordered["name"]?.string, "Main")
                XCTAssertEqual(renamed.ordered["external_hostname"]?.string, "registry.example.com")
                XCTAssertEqual(renamed.ordered["hostname"]?.string, hostname)
                let sameHost = try await root.api.put("/api/v1/registries/\(id)", ["registry": ["hostname": hostname, "use_ssl": false]])
                XCTAssertEqual(sameHost.status, .ok, sameHost.text)
                let cleared = try await root.api.call(.put, "/api/v1/registries/\(id)", form: [("registry[external_hostname]", "")])
                XCTAssertEqual(cleared.ordered["external_hostname"], .null)
                let otherHost = try await root.api.put("/api/v1/registries/\(id)", ["registry": ["hostname": "elsewhere:5000"]])
                XCTAssertEqual(otherHost.status.code, 422, otherHost.text)
                XCTAssertEqual((otherHost.json["message"] as? [String: [String]])?.keys.sorted(), ["hostname"])
                let ssl = try await root.api.put("/api/v1/registries/\(id)", ["registry": ["use_ssl": true]])
                XCTAssertEqual(ssl.status.code, 422, ssl.text)
                XCTAssertEqual((ssl.json["message"] as? [String: [String]])?.keys.sorted(), ["use_ssl"])
                let blank = try await root.api.put("/api/v1/registries/\(id)", ["registry": ["name": ""]])
                blank.assertFieldErrors(["name": ["can't be blank"]])
                let noHash = try await root.api.put("/api/v1/registries/\(id)", ["name": "flat"])
                noHash.assertBadParameters([("registry", ["is missing"])])
                let unknown = try await root.api.put("/api/v1/registries/999999", ["registry": ["name": "x"]])
                unknown.assertPortus(404, "Not found")
                let plainUpdate = try await plain.api.put("/api/v1/registries/\(id)", ["registry": ["name": "x"]])
                plainUpdate.assertPortus(403, "Authorization fails")

                // Once a repository exists, the host name is the registry's for good.
                _ = try await RegistryCalls(client: client, auth: plain.basic).pushImage("plain/app", tag: "v1")

                // Repositories name the host clients pull from: the external host name when there is one.
                func registryHostnames() async throws -> [String?] {
                    let listed = try await plain.api.get("/api/v1/repositories")
                    let repositoryID = try XCTUnwrap(listed.ordered.items.first?["id"]?.int, listed.text)
                    let shown = try await plain.api.get("/api/v1/repositories/\(repositoryID)")
                    let inNamespace = try await plain.api.get("/api/v1/namespaces/\(plain.id)/repositories")
                    return [listed.ordered.items.first?["registry_hostname"]?.string, shown.ordered["registry_hostname"]?.string,
                            inNamespace.ordered.items.first?["registry_hostname"]?.string]
                }
                let inside = try await registryHostnames()
                XCTAssertEqual(inside, [hostname, hostname, hostname])
                let external = try await root.api.put("/api/v1/registries/\(id)", ["registry": ["external_hostname": "registry.example.com"]])
                XCTAssertEqual(external.status, .ok, external.text)
                let outside = try await registryHostnames()
                XCTAssertEqual(outside, ["registry.example.com", "registry.example.com", "registry.example.com"])
                let pushed = try await server.server.store.repository(namespace: "plain", name: "app")
                let described = try await plain.api.put("/api/v1/repositories/\(try XCTUnwrap(pushed).id)", ["repository": ["description": "x"]])
                XCTAssertEqual(described.ordered["registry_hostname"]?.string, "registry.example.com")
                _ = try await root.api.put("/api/v1/registries/\(id)", ["registry": ["external_hostname": ""]])
                let notEmpty = try await root.api.put("/api/v1/registries/\(id)", ["registry": ["hostname": "elsewhere:5000"]])
                notEmpty.assertFieldErrors(["hostname": ["Registry is not empty, cannot change hostname"]])

                // Validation.
                let escapedHost = FormEncoding.escape(hostname)
                let valid = try await root.api.get("/api/v1/registries/validate?name=New&hostname=\(escapedHost)&use_ssl=false")
                XCTAssertEqual(valid.status, .ok, valid.text)
                valid.assertKeys(PortusShape.status)
                XCTAssertEqual(valid.json["valid"] as? Bool, true, valid.text)
                XCTAssertEqual(valid.json["messages"] as? [String: [String]], [:])
                let invalid = try await root.api.get("/api/v1/registries/validate?name=Main&hostname=nowhere:1&use_ssl=false")
                XCTAssertEqual(invalid.json["valid"] as? Bool, false, invalid.text)
                let messages = invalid.json["messages"] as? [String: [String]]
                XCTAssertEqual(messages?["name"], ["has already been taken"])
                XCTAssertEqual(messages?["hostname"]?.count, 1, invalid.text)
                let onlyName = try await root.api.get("/api/v1/registries/validate?name=New&hostname=nowhere:1&use_ssl=false&only[]=name")
                XCTAssertEqual(onlyName.json["valid"] as? Bool, true, "`only` restricts the checks: \(onlyName.text)")
                // Every parameter is optional (Portus's form checks one field at a time): a missing one is blank.
                let nameOnly = try await root.api.get("/api/v1/registries/validate?name=New&only[]=name")
                XCTAssertEqual(nameOnly.status, .ok, nameOnly.text)
                XCTAssertEqual(nameOnly.json["valid"] as? Bool, true, nameOnly.text)
                let nothing = try await root.api.get("/api/v1/registries/validate")
                XCTAssertEqual(nothing.status, .ok, nothing.text)
                XCTAssertEqual(nothing.json["valid"] as? Bool, false, nothing.text)
                XCTAssertEqual(nothing.json["messages"] as? [String: [String]], ["name": ["can't be blank"], "hostname": ["can't be blank"]])
                let badSSLQuery = try await root.api.get("/api/v1/registries/validate?name=x&hostname=h&use_ssl=perhaps")
                badSSLQuery.assertBadParameters([("use_ssl", ["is invalid"])])
                let plainValidate = try await plain.api.get("/api/v1/registries/validate?name=x&hostname=h&use_ssl=false")
                plainValidate.assertPortus(403, "Authorization fails")
            }
        }
    }

    func testPingHealthAndVersion() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let anonymous = PortusClient(client: client, auth: nil)
                let garbage = PortusClient(client: client, auth: "nobody:nothing")

                for caller in [anonymous, garbage] {
                    let ping = try await caller.get("/api/v1/_ping")
                    XCTAssertEqual(ping.status, .ok, ping.text)
                    XCTAssertEqual(ping.text, "200")
                    ping.assertPortusCORS()

                    let health = try await caller.get("/api/v1/health")
                    XCTAssertEqual(health.status, .ok, health.text)
                    health.assertKeys(PortusShape.health)
                    health.assertPortusCORS()
                    XCTAssertEqual(health.ordered["database"], .object([("msg", .string("database is up-to-date")), ("success", .bool(true))]))
                    XCTAssertEqual(health.ordered["registry"], .object([("msg", .string("registry is reachable")), ("success", .bool(true))]))

                    let version = try await caller.get("/api/version")
                    version.assertPortus(401, "Authentication fails", "version needs a user")
                }

                let root = try await PortusKit.bootstrap(client, "root")
                let version = try await root.api.get("/api/version")
                XCTAssertEqual(version.status, .ok, version.text)
                version.assertKeys(PortusShape.version)
                version.assertPortusCORS()
                XCTAssertEqual(version.ordered, .object([("api-versions", .array([.string("v1")])), ("git", .null), ("version", .string("0.5.0"))]))
            }
        }
    }

    func testUnknownRoutesMethodsAndCORS() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let root = try await PortusKit.bootstrap(client, "root")

                for path in ["/api/v1/nothing", "/api/v1/users/1/nothing", "/api/v1/teams/1/members/2/extra", "/api/v2/users"] {
                    let response = try await root.api.get(path)
                    response.assertPortus(404, "Not found", path)
                }
                let wrongMethod = try await root.api.call(.patch, "/api/v1/namespaces")
                XCTAssertEqual(wrongMethod.status, .methodNotAllowed, wrongMethod.text)
                XCTAssertNotNil(wrongMethod.json["message"] as? String, wrongMethod.text)
                wrongMethod.assertPortusCORS()

                let preflight = try await client.execute(uri: "/api/v1/namespaces", method: .options, headers: [
                    HTTPField.Name("Origin")!: "https://portus.example.com", HTTPField.Name("Access-Control-Request-Method")!: "GET",
                ])
                XCTAssertEqual(preflight.status, .noContent, preflight.text)
                preflight.assertPortusCORS("OPTIONS skips authentication")

                let huge = try await root.api.call(.post, "/api/v1/teams", raw: String(repeating: "a", count: 2 << 20),
                                                   contentType: "application/x-www-form-urlencoded")
                huge.assertPortus(413, "Request body too large")

                // Every answer carries the CORS headers, errors included.
                for response in [try await root.api.get("/api/v1/namespaces"), try await PortusClient(client: client, auth: nil).get("/api/v1/teams"),
                                 try await root.api.get("/api/v1/teams/999999"), try await root.api.post("/api/v1/teams", ["x": 1])] {
                    response.assertPortusCORS(response.text)
                }
            }
        }
    }

    func testRoutingBetweenQuayAndPortus() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let anonymous = PortusClient(client: client, auth: nil)

                // Without users, Portus's bootstrap answers without the header.
                let bootstrap = try await anonymous.post("/api/v1/users/bootstrap", ["user": ["username": "root", "email": "root@example.com",
                                                                                                 "password": "password1"]])
                XCTAssertEqual(bootstrap.status, .created, bootstrap.text)
                bootstrap.assertPortusCORS()
                let token = try XCTUnwrap(bootstrap.json["plain_token"] as? String)
                let root = PortusClient(client: client, auth: "root:\(token)")

                // GET /api/v1/users/{name}: Quay's user endpoint without the header, Portus's with it.
                let quayUser = try await anonymous.get("/api/v1/users/root")
                XCTAssertEqual(quayUser.status, .ok, quayUser.text)
                XCTAssertEqual(quayUser.json["username"] as? String, "root")
                XCTAssertNotNil(quayUser.json["avatar"], "Quay's view: \(quayUser.text)")
                XCTAssertNil(quayUser.header("Access-Control-Allow-Origin"))
                let portusByName = try await root.get("/api/v1/users/root")
                portusByName.assertPortus(404, "Not found", "Portus's users are shown by id or e-mail")
                let rootAccount = try await server.server.store.account(named: "root")
                let rootID = try XCTUnwrap(rootAccount).id
                let portusUser = try await root.get("/api/v1/users/\(rootID)")
                XCTAssertEqual(portusUser.status, .ok, portusUser.text)
                portusUser.assertKeys(PortusShape.user)
                let quayByID = try await anonymous.get("/api/v1/users/\(rootID)")
                XCTAssertEqual(quayByID.status, .notFound, "Quay has no user named \(rootID)")
                XCTAssertNotEqual(quayByID.ordered, .object([("message", .string("Not found"))]))

                // Portus-only paths reach Portus without the header (and ask for it).
                for path in ["/api/v1/namespaces", "/api/v1/teams", "/api/v1/registries", "/api/v1/repositories", "/api/v1/tags", "/api/version",
                             "/api/v1/namespaces/\(rootID)", "/api/v1/users/application_tokens/1"] {
                    let method: HTTPRequest.Method = path.contains("application_tokens") ? .delete : .get
                    let response = try await anonymous.call(method, path)
                    response.assertPortus(401, "Authentication fails", path)
                }
                let health = try await anonymous.get("/api/v1/health")
                XCTAssertEqual(health.status, .ok, health.text)

                // Quay's endpoints are Quay's without the header; with it, the path is Portus's (an unknown route there).
                let quayUserInfo = try await anonymous.get("/api/v1/user/")
                XCTAssertEqual(quayUserInfo.status, .unauthorized, quayUserInfo.text)
                XCTAssertNotEqual(quayUserInfo.ordered, .object([("message", .string("Authentication fails"))]))
                let portusUserInfo = try await root.get("/api/v1/user/")
                portusUserInfo.assertPortus(404, "Not found")
                let usersList = try await anonymous.get("/api/v1/users")
                usersList.assertPortus(401, "Authentication fails", "GET /api/v1/users is Portus's only")
            }
        }
    }
}
