import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// `/api/v1/user/apptoken…` and app-specific tokens as registry credentials (`$app`).
final class QuayAppTokenTests: XCTestCase {

    func testCreateListGetAndRevoke() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let api = try await server.quay(client, as: alice)
                let created = try await api.post("/api/v1/user/apptoken", ["title": "laptop"])
                XCTAssertEqual(created.status, .ok, created.text)
                let token = try XCTUnwrap(created.json["token"] as? [String: Any], created.text)
                let uuid = try XCTUnwrap(token["uuid"] as? String)
                XCTAssertEqual(token["title"] as? String, "laptop")
                let code = try XCTUnwrap(token["token_code"] as? String)
                XCTAssertEqual(code.count, 120)
                XCTAssertTrue(code.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }, code)
                XCTAssertNotNil(token["created"] as? String)
                XCTAssertTrue((token["created"] as? String)?.hasSuffix("-0000") == true, "RFC 2822 date: \(token["created"] ?? "")")
                XCTAssertTrue(token["expiration"] is NSNull, "tokens do not expire without APP_SPECIFIC_TOKEN_EXPIRATION")
                XCTAssertTrue(token["last_accessed"] is NSNull)

                let second = try await api.post("/api/v1/user/apptoken", ["title": "ci"])
                let secondUUID = try XCTUnwrap((second.json["token"] as? [String: Any])?["uuid"] as? String)

                let list = try await api.get("/api/v1/user/apptoken")
                XCTAssertEqual(list.status, .ok, list.text)
                XCTAssertEqual(list.json["only_expiring"] as? Bool, false)
                let tokens = try XCTUnwrap(list.json["tokens"] as? [[String: Any]], list.text)
                XCTAssertEqual(Set(tokens.compactMap { $0["uuid"] as? String }), [uuid, secondUUID])
                for entry in tokens {
                    XCTAssertNil(entry["token_code"], "the list does not reveal token codes")
                    XCTAssertEqual(Set(entry.keys), ["uuid", "title", "last_accessed", "created", "expiration"])
                }

                let one = try await api.get("/api/v1/user/apptoken/\(uuid)")
                XCTAssertEqual(one.status, .ok, one.text)
                let shown = try XCTUnwrap(one.json["token"] as? [String: Any])
                XCTAssertEqual(shown["token_code"] as? String, code, "the owner can view the full token again")
                XCTAssertEqual(shown["title"] as? String, "laptop")

                let revoked = try await api.delete("/api/v1/user/apptoken/\(uuid)")
                XCTAssertEqual(revoked.status, .noContent, revoked.text)
                try await api.get("/api/v1/user/apptoken/\(uuid)").assertAPIError(404, "not_found")
                try await api.delete("/api/v1/user/apptoken/\(uuid)").assertAPIError(404, "not_found")
                let afterList = try await api.get("/api/v1/user/apptoken")
                XCTAssertEqual((afterList.json["tokens"] as? [[String: Any]])?.compactMap { $0["uuid"] as? String }, [secondUUID])
            }
        }
    }

    func testTokensArePrivateToTheirOwnerAndNeedUserAdmin() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            let bob = try await server.user("bob")
            try await server.run { client in
                let aliceAPI = try await server.quay(client, as: alice)
                let created = try await aliceAPI.post("/api/v1/user/apptoken", ["title": "laptop"])
                let uuid = try XCTUnwrap((created.json["token"] as? [String: Any])?["uuid"] as? String, created.text)

                let bobAPI = try await server.quay(client, as: bob)
                try await bobAPI.get("/api/v1/user/apptoken/\(uuid)").assertAPIError(404, "not_found")
                try await bobAPI.delete("/api/v1/user/apptoken/\(uuid)").assertAPIError(404, "not_found")
                let bobList = try await bobAPI.get("/api/v1/user/apptoken")
                XCTAssertEqual((bobList.json["tokens"] as? [Any])?.count, 0)

                let reader = try await server.quay(client, as: alice, scopes: [.repoRead])
                try await reader.post("/api/v1/user/apptoken", ["title": "sneaky"]).assertAPIError(403, "insufficient_scope")
                try await reader.get("/api/v1/user/apptoken").assertAPIError(403, "insufficient_scope")
                try await reader.get("/api/v1/user/apptoken/\(uuid)").assertAPIError(403, "insufficient_scope")
                let userReader = try await server.quay(client, as: alice, scopes: [.userRead])
                try await userReader.post("/api/v1/user/apptoken", ["title": "sneaky"]).assertAPIError(403, "insufficient_scope")

                let anonymous = QuayClient(client: client, token: nil)
                try await anonymous.post("/api/v1/user/apptoken", ["title": "x"]).assertAPIError(401, "invalid_token")
                try await anonymous.get("/api/v1/user/apptoken").assertAPIError(401, "invalid_token")

                let noBody = try await aliceAPI.post("/api/v1/user/apptoken", [String: Any]())
                XCTAssertEqual(noBody.status, .badRequest, noBody.text)

                let count = try await server.server.store.appTokens(accountID: alice.id).count
                XCTAssertEqual(count, 1, "refused requests create nothing")
            }
        }
    }

    func testAppTokenIsARegistryCredentialUntilRevoked() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            let alice = try await server.user("alice")
            try await server.run { client in
                let api = try await server.quay(client, as: alice)
                let created = try await api.post("/api/v1/user/apptoken", ["title": "docker"])
                let token = try XCTUnwrap(created.json["token"] as? [String: Any], created.text)
                let code = try XCTUnwrap(token["token_code"] as? String)
                let uuid = try XCTUnwrap(token["uuid"] as? String)
                let app = HTTPFields.basic("$app", code)

                let login = try await client.execute(uri: "/v2/", method: .get, headers: app)
                XCTAssertEqual(login.status, .ok, "docker login -u '$app' -p <token>")
                let manifest = try await RegistryCalls(client: client, auth: app).pushImage("alice/app", tag: "v1")
                let pulled = try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .get, headers: app)
                XCTAssertEqual(pulled.status, .ok)
                XCTAssertEqual(Data(pulled.body.readableBytesView), manifest)

                let issued = try await RegistryTokens.request(client, server: server, auth: app, scope: "repository:alice/app:pull,push")
                XCTAssertEqual(issued.response.status, .ok, issued.response.text)
                XCTAssertEqual(issued.claims?["sub"] as? String, "alice")
                let appContext = issued.claims?["context"] as? [String: Any]
                XCTAssertEqual(appContext?["entity_kind"] as? String, "appspecifictoken")
                XCTAssertEqual(appContext?["kind"] as? String, "user")
                XCTAssertNotNil(appContext?["entity_reference"] as? String, "the token's UUID")
                XCTAssertEqual(Set(RegistryTokens.actions(issued.claims, on: "alice/app")), ["pull", "push"])
                let bearer: HTTPFields = [.authorization: "Bearer \(try XCTUnwrap(issued.token))"]
                let viaBearer = try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .get, headers: bearer)
                XCTAssertEqual(viaBearer.status, .ok)

                let listed = try await api.get("/api/v1/user/apptoken/\(uuid)")
                XCTAssertNotNil((listed.json["token"] as? [String: Any])?["last_accessed"] as? String, "using the token records its last access")

                let revoked = try await api.delete("/api/v1/user/apptoken/\(uuid)")
                XCTAssertEqual(revoked.status, .noContent)
                let afterLogin = try await client.execute(uri: "/v2/", method: .get, headers: app)
                XCTAssertEqual(afterLogin.status, .unauthorized, "a revoked token stops working at once")
                let afterPull = try await client.execute(uri: "/v2/alice/app/manifests/v1", method: .get, headers: app)
                XCTAssertEqual(afterPull.status, .unauthorized)
                let afterToken = try await RegistryTokens.request(client, server: server, auth: app, scope: "repository:alice/app:pull")
                XCTAssertEqual(afterToken.response.status, .unauthorized)

                let wrong = try await client.execute(uri: "/v2/", method: .get, headers: .basic("$app", String(code.reversed())))
                XCTAssertEqual(wrong.status, .unauthorized)
                let apiWithApp = try await client.execute(uri: "/api/v1/user/", method: .get, headers: .basic("$app", code))
                XCTAssertEqual(apiWithApp.status, .unauthorized, "app tokens are registry credentials, not API credentials")
            }
        }
    }

    func testExpiringTokens() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database) { $0.appTokenLifetime = 3600 }
            let alice = try await server.user("alice")
            let store = server.server.store
            // A token created directly with a short remaining life, and one that has already expired.
            let soonSecret = Secrets.randomToken(length: 60), soonName = Secrets.randomToken(length: 60)
            let soon = try await store.createAppToken(accountID: alice.id, title: "soon", tokenName: soonName, tokenHash: Secrets.sha256Hex(soonSecret),
                                                      tokenSealed: "unused", expiresMs: MetadataStore.nowMs() + 60_000)
            let expiredSecret = Secrets.randomToken(length: 60), expiredName = Secrets.randomToken(length: 60)
            _ = try await store.createAppToken(accountID: alice.id, title: "expired", tokenName: expiredName,
                                               tokenHash: Secrets.sha256Hex(expiredSecret), tokenSealed: "unused",
                                               expiresMs: MetadataStore.nowMs() - 1000)
            try await server.run { client in
                let api = try await server.quay(client, as: alice)
                let created = try await api.post("/api/v1/user/apptoken", ["title": "an hour"])
                let token = try XCTUnwrap(created.json["token"] as? [String: Any], created.text)
                XCTAssertNotNil(token["expiration"] as? String, "APP_SPECIFIC_TOKEN_EXPIRATION gives new tokens an expiration")
                let uuid = try XCTUnwrap(token["uuid"] as? String)

                let expiring = try await api.get("/api/v1/user/apptoken?expiring=true")
                XCTAssertEqual(expiring.status, .ok, expiring.text)
                XCTAssertEqual(expiring.json["only_expiring"] as? Bool, true)
                let uuids = Set((expiring.json["tokens"] as? [[String: Any]] ?? []).compactMap { $0["uuid"] as? String })
                XCTAssertTrue(uuids.contains(soon.uuid), "a token expiring within 10% of the lifetime is listed: \(expiring.text)")
                XCTAssertFalse(uuids.contains(uuid), "a token with its whole hour ahead is not expiring soon")

                let all = try await api.get("/api/v1/user/apptoken")
                XCTAssertEqual((all.json["tokens"] as? [Any])?.count, 3)

                let live = try await client.execute(uri: "/v2/", method: .get, headers: .basic("$app", soonName + soonSecret))
                XCTAssertEqual(live.status, .ok)
                let expired = try await client.execute(uri: "/v2/", method: .get, headers: .basic("$app", expiredName + expiredSecret))
                XCTAssertEqual(expired.status, .unauthorized, "an expired app token is refused")
            }
        }
    }
}
