import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// `/api/v1/users…`: the first administrator (`bootstrap`), users (administrators only) and application
/// tokens, with `Portus-Auth` (portus.md §2.2, §2.5).
final class PortusUserTests: XCTestCase {

    func testBootstrapCreatesTheFirstAdministratorOnce() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let anonymous = PortusClient(client: client, auth: nil)
                let path = "/api/v1/users/bootstrap"

                // Parameters are checked first (Grape), then the user's fields (422), all before any user exists.
                let missing = try await anonymous.post(path, [String: Any]())
                missing.assertBadParameters([("user", ["is missing"])])
                let partial = try await anonymous.call(.post, path, form: [("user[username]", "root")])
                partial.assertBadParameters([("user[email]", ["is missing"]), ("user[password]", ["is missing"])])
                let notAHash = try await anonymous.post(path, ["user": "root"])
                notAHash.assertBadParameters([("user", ["is invalid"])])
                let malformed = try await anonymous.call(.post, path, raw: "{\"user\": ", contentType: "application/json")
                XCTAssertEqual(malformed.status, .badRequest, malformed.text)
                XCTAssertTrue((malformed.json["message"] as? String)?.hasPrefix("When specifying application/json as content-type, you must pass valid")
                              ?? false, malformed.text)
                let invalid = try await anonymous.post(path, ["user": ["username": "root", "email": "not-an-email", "password": "short"]])
                invalid.assertFieldErrors(["email": ["is invalid"], "password": ["is too short (minimum is 8 characters)"]])
                let noUsers = try await server.server.store.userCount()
                XCTAssertEqual(noUsers, 0, "a refused bootstrap creates nobody")

                // The first administrator, created with a form body; its token works at once.
                let created = try await anonymous.call(.post, path, form: [("user[username]", "root"), ("user[email]", "Root@Example.com"),
                                                                          ("user[password]", "password1"), ("user[display_name]", "The Root")])
                XCTAssertEqual(created.status, .created, created.text)
                created.assertKeys(PortusShape.createdToken)
                created.assertPortusCORS()
                XCTAssertEqual(created.json["application"] as? String, "bootstrap")
                let token = try XCTUnwrap(created.json["plain_token"] as? String)
                let root = PortusClient(client: client, auth: "root:\(token)")
                let users = try await root.get("/api/v1/users")
                XCTAssertEqual(users.status, .ok, users.text)
                let listed = users.assertList(PortusShape.user, count: 1)
                XCTAssertEqual(listed.first?["username"]?.string, "root")
                XCTAssertEqual(listed.first?["email"]?.string, "root@example.com", "e-mail addresses are stored in lower case")
                XCTAssertEqual(listed.first?["admin"]?.bool, true, "the bootstrapped user is an administrator")
                XCTAssertEqual(listed.first?["display_name"]?.string, "The Root")
                let rootID = try XCTUnwrap(listed.first?["id"]?.int)
                let tokens = try await root.get("/api/v1/users/\(rootID)/application_tokens")
                let names = tokens.assertList(PortusShape.applicationToken, count: 1)
                XCTAssertEqual(names.first?["application"]?.string, "bootstrap")
                XCTAssertEqual(names.first?["id"]?.int, created.id)

                // Once a user exists, bootstrap is refused whatever the caller, with a string message.
                for caller in [anonymous, root] {
                    let again = try await caller.post(path, ["user": ["username": "second", "email": "second@example.com", "password": "password1"]])
                    again.assertPortus(400, "you can only use this when there are no users on the system")
                }
                let stillMissing = try await anonymous.post(path, [String: Any]())
                stillMissing.assertBadParameters([("user", ["is missing"])], "parameters are still checked first")
                let count = try await server.server.store.userCount()
                XCTAssertEqual(count, 1)
            }
        }
    }

    func testBootstrapRefusedWhenAUserExistsOrFirstUserAdminIsOff() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.user("quayuser")
            try await server.run { client in
                let response = try await PortusClient(client: client, auth: nil).post("/api/v1/users/bootstrap",
                                                                                      ["user": ["username": "root", "email": "root@example.com", "password": "password1"]])
                response.assertPortus(400, "you can only use this when there are no users on the system", "a user made elsewhere counts")
            }
        }
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database) { $0.portusRules.firstUserAdmin = false }
            try await server.run { client in
                let anonymous = PortusClient(client: client, auth: nil)
                let response = try await anonymous.post("/api/v1/users/bootstrap",
                                                        ["user": ["username": "root", "email": "root@example.com", "password": "password1"]])
                response.assertPortus(405, "this instance has disabled this endpoint")
                let missing = try await anonymous.post("/api/v1/users/bootstrap", [String: Any]())
                missing.assertBadParameters([("user", ["is missing"])], "Grape checks parameters before the endpoint runs")
                let count = try await server.server.store.userCount()
                XCTAssertEqual(count, 0)
            }
        }
    }

    /// Concurrent bootstraps make one administrator, on PostgreSQL too (where two transactions do not
    /// see each other's new rows): through the API, and straight at the store where the race is tightest.
    func testConcurrentBootstrapsMakeOneAdministrator() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<6 {
                        group.addTask {
                            let response = try await PortusClient(client: client, auth: nil).post("/api/v1/users/bootstrap", [
                                "user": ["username": "root\(index)", "email": "root\(index)@example.com", "password": "password1"],
                            ])
                            return Int(response.status.code)
                        }
                    }
                    var all: [Int] = []
                    for try await status in group { all.append(status) }
                    return all
                }
                XCTAssertEqual(statuses.sorted(), [201, 400, 400, 400, 400, 400])
                let count = try await server.server.store.userCount()
                XCTAssertEqual(count, 1)
            }
        }
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let store = server.server.store
            let created = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        (try? await store.createUser(username: "first\(index)", email: nil, passwordHash: nil, displayName: nil, bot: false,
                                                     superuser: true, onlyIfFirst: true)) != nil
                    }
                }
                var all: [Bool] = []
                for await made in group { all.append(made) }
                return all
            }
            XCTAssertEqual(created.filter { $0 }.count, 1, "[\(TestDatabases.label(database))] one first user")
            let count = try await store.userCount()
            XCTAssertEqual(count, 1, "[\(TestDatabases.label(database))]")
            try await store.shutdown()
        }
    }

    func testCreateShowUpdateAndDeleteUsers() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let root = try await PortusKit.bootstrap(client, "root").api

                let created = try await root.post("/api/v1/users", ["user": ["username": "alice", "email": "Alice@Example.com", "password": "password1",
                                                                             "display_name": "Alice A."]])
                XCTAssertEqual(created.status, .created, created.text)
                created.assertKeys(PortusShape.user)
                created.assertPortusCORS()
                let alice = created.ordered
                let aliceID = try XCTUnwrap(alice["id"]?.int)
                XCTAssertEqual(alice["username"]?.string, "alice")
                XCTAssertEqual(alice["email"]?.string, "alice@example.com")
                XCTAssertEqual(alice["admin"]?.bool, false)
                XCTAssertEqual(alice["enabled"]?.bool, true)
                XCTAssertEqual(alice["bot"]?.bool, false)
                XCTAssertEqual(alice["display_name"]?.string, "Alice A.")
                XCTAssertEqual(alice["namespace_id"]?.int, aliceID, "a user's personal namespace has the user's id")
                XCTAssertTrue(PortusShape.isTime(alice["created_at"]), "\(alice)")
                XCTAssertTrue(PortusShape.isTime(alice["updated_at"]), "\(alice)")
                XCTAssertEqual(alice["locked_at"], .null)
                XCTAssertEqual(alice["current_sign_in_at"], .null)
                XCTAssertEqual(alice["last_sign_in_at"], .null)

                // Form-encoded nested keys, and a bot: in Wharf every user is a namespace, bots too.
                let bot = try await root.call(.post, "/api/v1/users", form: [("user[username]", "robo"), ("user[email]", "robo@example.com"),
                                                                              ("user[password]", "password1"), ("user[bot]", "true")])
                XCTAssertEqual(bot.status, .created, bot.text)
                bot.assertKeys(PortusShape.user)
                XCTAssertEqual(bot.ordered["bot"]?.bool, true)
                XCTAssertEqual(bot.ordered["namespace_id"]?.int, bot.ordered["id"]?.int)
                XCTAssertEqual(bot.ordered["display_name"], .null)

                // Show by id and by e-mail address.
                let byID = try await root.get("/api/v1/users/\(aliceID)")
                XCTAssertEqual(byID.status, .ok, byID.text)
                byID.assertKeys(PortusShape.user)
                XCTAssertEqual(byID.ordered, alice)
                let byEmail = try await root.get("/api/v1/users/alice@example.com")
                XCTAssertEqual(byEmail.status, .ok, byEmail.text)
                XCTAssertEqual(byEmail.ordered["id"]?.int, aliceID)
                for unknown in ["/api/v1/users/999999", "/api/v1/users/nobody@example.com", "/api/v1/users/alice"] {
                    let response = try await root.get(unknown)
                    response.assertPortus(404, "Not found", unknown)
                }
                let organization = try await server.server.store.createOrganization(name: "someorg", email: nil, creatorID: nil)
                let notAUser = try await root.get("/api/v1/users/\(organization.id)")
                notAUser.assertPortus(404, "Not found", "an organization is not a user")

                // Update: every field optional, checked as on create.
                let updated = try await root.put("/api/v1/users/\(aliceID)", ["user": ["email": "alice2@example.com", "display_name": "Alice B."]])
                XCTAssertEqual(updated.status, .ok, updated.text)
                updated.assertKeys(PortusShape.user)
                XCTAssertEqual(updated.ordered["email"]?.string, "alice2@example.com")
                XCTAssertEqual(updated.ordered["display_name"]?.string, "Alice B.")
                XCTAssertEqual(updated.ordered["username"]?.string, "alice")
                let formUpdate = try await root.call(.put, "/api/v1/users/\(aliceID)", form: [("user[password]", "new-password-1")])
                XCTAssertEqual(formUpdate.status, .ok, formUpdate.text)
                let login = try await client.execute(uri: "/v2/", method: .get, headers: .basic("alice", "new-password-1"))
                XCTAssertEqual(login.status, .ok, "the new password works on /v2")
                let noUser = try await root.put("/api/v1/users/\(aliceID)", ["display_name": "x"])
                noUser.assertBadParameters([("user", ["is missing"])])
                let badEmail = try await root.put("/api/v1/users/\(aliceID)", ["user": ["email": "nope"]])
                badEmail.assertFieldErrors(["email": ["is invalid"]])
                let takenName = try await root.put("/api/v1/users/\(aliceID)", ["user": ["username": "root"]])
                takenName.assertFieldErrors(["username": ["has already been taken"]])
                let takenEmail = try await root.put("/api/v1/users/\(aliceID)", ["user": ["email": "ROOT@example.com"]])
                takenEmail.assertFieldErrors(["email": ["has already been taken"]])
                let shortPassword = try await root.put("/api/v1/users/\(aliceID)", ["user": ["password": "short"]])
                shortPassword.assertFieldErrors(["password": ["is too short (minimum is 8 characters)"]])
                let missingUser = try await root.put("/api/v1/users/999999", ["user": ["display_name": "x"]])
                missingUser.assertPortus(404, "Not found")

                // Renaming changes what Portus-Auth must say.
                let aliceToken = try await PortusKit.createToken(root, user: aliceID, application: "cli")
                let renamed = try await root.put("/api/v1/users/\(aliceID)", ["user": ["username": "alicia"]])
                XCTAssertEqual(renamed.status, .ok, renamed.text)
                XCTAssertEqual(renamed.ordered["username"]?.string, "alicia")
                let oldName = try await PortusClient(client: client, auth: "alice:\(aliceToken)").get("/api/version")
                oldName.assertPortus(401, "Authentication fails")
                let newName = try await PortusClient(client: client, auth: "alicia:\(aliceToken)").get("/api/version")
                XCTAssertEqual(newName.status, .ok, newName.text)

                // Delete: 204 without a body; the user is gone, and so are its tokens.
                let deleted = try await root.delete("/api/v1/users/\(aliceID)")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                XCTAssertEqual(deleted.body.readableBytes, 0)
                deleted.assertPortusCORS()
                let gone = try await root.get("/api/v1/users/\(aliceID)")
                gone.assertPortus(404, "Not found")
                let again = try await root.delete("/api/v1/users/\(aliceID)")
                again.assertPortus(404, "Not found")
                let tokenGone = try await PortusClient(client: client, auth: "alicia:\(aliceToken)").get("/api/version")
                tokenGone.assertPortus(401, "Authentication fails")
                let rootAccount = try await server.server.store.account(named: "root")
                let rootID = try XCTUnwrap(rootAccount).id
                let deleteSelf = try await root.delete("/api/v1/users/\(rootID)")
                deleteSelf.assertPortus(422, "You cannot remove yourself", "Wharf keeps an administrator from deleting itself")
            }
        }
    }

    func testUserValidation() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let root = try await PortusKit.bootstrap(client, "root").api
                _ = try await root.post("/api/v1/users", ["user": ["username": "taken", "email": "taken@example.com", "password": "password1",
                                                                   "display_name": "Taken"]])
                let path = "/api/v1/users"
                func user(_ fields: [String: Any]) -> [String: Any] {
                    ["user": ["username": "fresh", "email": "fresh@example.com", "password": "password1"].merging(fields) { $1 }]
                }

                let missing = try await root.post(path, ["username": "flat"])
                missing.assertBadParameters([("user", ["is missing"])])
                let nested = try await root.post(path, ["user": ["email": "x@example.com"]])
                nested.assertBadParameters([("user[username]", ["is missing"]), ("user[password]", ["is missing"])])
                let formNested = try await root.call(.post, path, form: [("user[password]", "password1")])
                formNested.assertBadParameters([("user[username]", ["is missing"]), ("user[email]", ["is missing"])])
                let badBot = try await root.post(path, user(["bot": "maybe"]))
                badBot.assertBadParameters([("user[bot]", ["is invalid"])])
                let badType = try await root.post(path, user(["username": ["a", "b"]]))
                badType.assertBadParameters([("user[username]", ["is invalid"])])
                let malformed = try await root.call(.post, path, raw: "{not json", contentType: "application/json")
                XCTAssertEqual(malformed.status, .badRequest, malformed.text)
                XCTAssertTrue((malformed.json["message"] as? String)?.hasPrefix("When specifying application/json as content-type") ?? false, malformed.text)
                malformed.assertPortusCORS()

                let duplicate = try await root.post(path, user(["username": "taken"]))
                duplicate.assertFieldErrors(["username": ["has already been taken"]])
                let duplicateEmail = try await root.post(path, user(["email": "TAKEN@example.com"]))
                duplicateEmail.assertFieldErrors(["email": ["has already been taken"]])
                let duplicateDisplay = try await root.post(path, user(["display_name": "Taken"]))
                duplicateDisplay.assertFieldErrors(["display_name": ["has already been taken"]])
                let badName = try await root.post(path, user(["username": "Bad Name"]))
                badName.assertFieldErrors(["username": ["'Bad Name' cannot be transformed into a valid namespace name"]])
                let blank = try await root.post(path, user(["username": "", "email": "", "password": ""]))
                blank.assertFieldErrors(["username": ["can't be blank"], "email": ["can't be blank"], "password": ["can't be blank"]])
                let several = try await root.post(path, user(["username": "taken", "email": "bad", "password": "short"]))
                several.assertFieldErrors(["username": ["has already been taken"], "email": ["is invalid"],
                                           "password": ["is too short (minimum is 8 characters)"]])
                let organization = try await server.server.store.createOrganization(name: "acme", email: nil, creatorID: nil)
                XCTAssertGreaterThan(organization.id, 0)
                let namespaceName = try await root.post(path, user(["username": "acme"]))
                namespaceName.assertFieldErrors(["username": ["has already been taken"]], "a user's name is its namespace's")
                let none = try await root.get("/api/v1/users?all=true")
                XCTAssertEqual(none.ordered.items.compactMap { $0["username"]?.string }.sorted(), ["root", "taken"], "no refused user was created")
            }
        }
    }

    func testAdministratorsAreSuperusersFromConfigurationOrBootstrap() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let root = try await PortusKit.bootstrap(client, "root")
                let configured = try await PortusKit.createUser(root.api, "admin")
                XCTAssertEqual(server.configuration.superUsers, ["admin"])
                let plain = try await PortusKit.createUser(root.api, "plain")

                let users = try await configured.api.get("/api/v1/users?all=true")
                XCTAssertEqual(users.status, .ok, "a SUPER_USERS user is a Portus administrator: \(users.text)")
                let admins = Dictionary(uniqueKeysWithValues: users.assertList(PortusShape.user, count: 3).map {
                    ($0["username"]?.string ?? "", $0["admin"]?.bool)
                })
                XCTAssertEqual(admins, ["root": true, "admin": true, "plain": false])
                let refused = try await plain.api.get("/api/v1/users")
                refused.assertPortus(403, "Authorization fails")
            }
        }
    }

    func testApplicationTokens() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let root = try await PortusKit.bootstrap(client, "root")
                let alice = try await PortusKit.createUser(root.api, "alice")
                let bob = try await PortusKit.createUser(root.api, "bob")
                let tokens = "/api/v1/users/\(alice.id)/application_tokens"

                // Listing shows ids and names, never the token.
                let listed = try await alice.api.get(tokens)
                XCTAssertEqual(listed.status, .ok, listed.text)
                listed.assertPortusCORS()
                XCTAssertEqual(listed.assertList(PortusShape.applicationToken, count: 1).first?["application"]?.string, "cli")

                // Creation: JSON or form; the plain token is shown once and authenticates.
                let created = try await alice.api.post(tokens, ["application": "laptop"])
                XCTAssertEqual(created.status, .created, created.text)
                created.assertKeys(PortusShape.createdToken)
                let laptop = try XCTUnwrap(created.json["plain_token"] as? String)
                let laptopID = try XCTUnwrap(created.id)
                let viaLaptop = try await PortusClient(client: client, auth: "alice:\(laptop)").get("/api/version")
                XCTAssertEqual(viaLaptop.status, .ok, viaLaptop.text)
                let formCreated = try await alice.api.call(.post, tokens, form: [("application", "desktop")])
                XCTAssertEqual(formCreated.status, .created, formCreated.text)
                let names = try await alice.api.get(tokens).assertList(PortusShape.applicationToken, count: 3).compactMap { $0["application"]?.string }
                XCTAssertEqual(names, ["cli", "laptop", "desktop"])

                let duplicate = try await alice.api.post(tokens, ["application": "laptop"])
                duplicate.assertFieldErrors(["application": ["has already been taken"]])
                let missing = try await alice.api.post(tokens, ["name": "x"])
                missing.assertBadParameters([("application", ["is missing"])])
                let blank = try await alice.api.post(tokens, ["application": " "])
                blank.assertFieldErrors(["application": ["can't be blank"]], "Portus answers a 500 here; Wharf a validation error")
                _ = try await PortusKit.createToken(alice.api, user: alice.id, application: "fourth")
                _ = try await PortusKit.createToken(alice.api, user: alice.id, application: "fifth")
                let sixth = try await alice.api.post(tokens, ["application": "sixth"])
                sixth.assertFieldErrors(["base": ["Users cannot have more than 5 application tokens"]])

                // Only the user itself or an administrator (Portus lets anyone: SUSE/Portus#2319).
                let bobLists = try await bob.api.get(tokens)
                bobLists.assertPortus(403, "Authorization fails")
                let bobCreates = try await bob.api.post("/api/v1/users/\(root.id)/application_tokens", ["application": "stolen"])
                bobCreates.assertPortus(403, "Authorization fails")
                let rootLists = try await root.api.get(tokens)
                XCTAssertEqual(rootLists.status, .ok, rootLists.text)
                let rootCreates = try await root.api.post("/api/v1/users/\(bob.id)/application_tokens", ["application": "by-admin"])
                XCTAssertEqual(rootCreates.status, .created, rootCreates.text)
                // Others' ids are refused before they are looked up, so a user cannot learn which exist.
                let unknownToBob = try await bob.api.get("/api/v1/users/999999/application_tokens")
                unknownToBob.assertPortus(403, "Authorization fails")
                for path in ["/api/v1/users/999999/application_tokens", "/api/v1/users/abc/application_tokens"] {
                    let unknown = try await root.api.get(path)
                    unknown.assertPortus(404, "Not found", path)
                }

                // Deletion: one's own tokens; an administrator only a bot's.
                let bobDeletes = try await bob.api.delete("/api/v1/users/application_tokens/\(laptopID)")
                bobDeletes.assertPortus(403, "Authorization fails")
                let rootDeletes = try await root.api.delete("/api/v1/users/application_tokens/\(laptopID)")
                rootDeletes.assertPortus(403, "Authorization fails", "an administrator may delete only a bot's tokens")
                let withUser = try await alice.api.delete("/api/v1/users/\(alice.id)/application_tokens/\(laptopID)")
                withUser.assertPortus(404, "Not found", "the route has no user id")
                let own = try await alice.api.delete("/api/v1/users/application_tokens/\(laptopID)")
                XCTAssertEqual(own.status, .noContent, own.text)
                XCTAssertEqual(own.body.readableBytes, 0)
                let revoked = try await PortusClient(client: client, auth: "alice:\(laptop)").get("/api/version")
                revoked.assertPortus(401, "Authentication fails")
                let twice = try await alice.api.delete("/api/v1/users/application_tokens/\(laptopID)")
                twice.assertPortus(404, "Not found")

                let bot = try await root.api.post("/api/v1/users", ["user": ["username": "ci", "email": "ci@example.com", "password": "password1", "bot": true]])
                let botID = try XCTUnwrap(bot.id, bot.text)
                let botToken = try await root.api.post("/api/v1/users/\(botID)/application_tokens", ["application": "pipeline"])
                let botTokenID = try XCTUnwrap(botToken.id, botToken.text)
                let adminDeletesBots = try await root.api.delete("/api/v1/users/application_tokens/\(botTokenID)")
                XCTAssertEqual(adminDeletesBots.status, .noContent, adminDeletesBots.text)
            }
        }
    }

    func testPortusAuthHeaderAndTokensAsRegistryPasswords() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let root = try await PortusKit.bootstrap(client, "root")
                let alice = try await PortusKit.createUser(root.api, "alice")
                let bob = try await PortusKit.createUser(root.api, "bob")

                for (auth, expected) in [("alice:\(alice.token)", 200), ("alice:\(alice.token):ignored", 200), ("alice", 401), ("alice:", 401),
                                         ("bob:\(alice.token)", 401), ("alice:\(bob.token)", 401), ("nobody:\(alice.token)", 401),
                                         ("alice:password1", 401), (":\(alice.token)", 401)] {
                    let response = try await PortusClient(client: client, auth: auth).get("/api/version")
                    XCTAssertEqual(response.status.code, expected, "Portus-Auth: \(auth) → \(response.text)")
                    if expected == 401 { response.assertPortus(401, "Authentication fails", auth) }
                }
                let lowercase = try await client.execute(uri: "/api/version", method: .get, headers: [HTTPField.Name("portus-auth")!: "alice:\(alice.token)"])
                XCTAssertEqual(lowercase.status, .ok, "header names are case-insensitive")

                // The same token is a `docker login` password with the user's name, and with `$app`.
                let login = try await client.execute(uri: "/v2/", method: .get, headers: alice.basic)
                XCTAssertEqual(login.status, .ok)
                let app = try await client.execute(uri: "/v2/", method: .get, headers: .basic("$app", alice.token))
                XCTAssertEqual(app.status, .ok)
                let wrongUser = try await client.execute(uri: "/v2/", method: .get, headers: .basic("bob", alice.token))
                XCTAssertEqual(wrongUser.status, .unauthorized, "a token is its own user's only")
                let issued = try await RegistryTokens.request(client, server: server, auth: alice.basic, scope: "repository:alice/app:push,pull")
                XCTAssertEqual(issued.response.status, .ok, issued.response.text)
                XCTAssertEqual(issued.claims?["sub"] as? String, "alice")
                XCTAssertEqual(Set(RegistryTokens.actions(issued.claims, on: "alice/app")), ["push", "pull"])
            }
        }
    }
}
