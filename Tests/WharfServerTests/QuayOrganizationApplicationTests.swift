import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// OAuth applications of an organization (`/organization/{org}/applications…`) and the public
/// application information at `/app/{client_id}` (quay.md §3.5).
final class QuayOrganizationApplicationTests: XCTestCase {
    func testApplicationLifecycle() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                let base = "/api/v1/organization/acme/applications"

                let empty = try await world.aliceAPI.get(base)
                XCTAssertEqual(empty.status, .ok, empty.text)
                XCTAssertEqual(OrgKit.objects(empty.json["applications"]).count, 0)

                let created = try await world.aliceAPI.post(base, [
                    "name": "CI", "description": "Builds things", "application_uri": "https://ci.example",
                    "redirect_uri": "https://ci.example/callback",
                ])
                XCTAssertEqual(created.status, .ok, created.text)
                XCTAssertEqual(created.json["name"] as? String, "CI")
                XCTAssertEqual(created.json["description"] as? String, "Builds things")
                XCTAssertEqual(created.json["application_uri"] as? String, "https://ci.example")
                XCTAssertEqual(created.json["redirect_uri"] as? String, "https://ci.example/callback")
                XCTAssertTrue(created.json["avatar_email"] is NSNull, created.text)
                let clientID = try XCTUnwrap(created.json["client_id"] as? String)
                let secret = try XCTUnwrap(created.json["client_secret"] as? String)
                XCTAssertFalse(clientID.isEmpty)
                XCTAssertGreaterThanOrEqual(secret.count, 32, "the client secret is shown to administrators")

                let list = try await world.aliceAPI.get(base)
                let applications = OrgKit.objects(list.json["applications"])
                XCTAssertEqual(applications.count, 1)
                XCTAssertEqual(applications.first?["client_id"] as? String, clientID)
                XCTAssertEqual(applications.first?["client_secret"] as? String, secret)

                let single = try await world.aliceAPI.get("\(base)/\(clientID)")
                XCTAssertEqual(single.status, .ok, single.text)
                XCTAssertEqual(single.json["name"] as? String, "CI")
                XCTAssertEqual(single.json["client_secret"] as? String, secret, "the secret is the same each time it is shown")

                let updated = try await world.aliceAPI.put("\(base)/\(clientID)", [
                    "name": "CI v2", "description": "Builds more", "application_uri": "https://ci2.example",
                    "redirect_uri": "https://ci2.example/callback", "avatar_email": "ci@example.com",
                ])
                XCTAssertEqual(updated.status, .ok, updated.text)
                XCTAssertEqual(updated.json["name"] as? String, "CI v2")
                XCTAssertEqual(updated.json["description"] as? String, "Builds more")
                XCTAssertEqual(updated.json["redirect_uri"] as? String, "https://ci2.example/callback")
                XCTAssertEqual(updated.json["avatar_email"] as? String, "ci@example.com")
                XCTAssertEqual(updated.json["client_id"] as? String, clientID, "updating keeps the client id")
                let reread = try await world.aliceAPI.get("\(base)/\(clientID)")
                XCTAssertEqual(reread.json["name"] as? String, "CI v2")

                // Public information, for the consent screen: anyone may read it.
                let anonymousInfo = try await world.anonymous.get("/api/v1/app/\(clientID)")
                XCTAssertEqual(anonymousInfo.status, .ok, anonymousInfo.text)
                XCTAssertEqual(anonymousInfo.json["name"] as? String, "CI v2")
                XCTAssertEqual(anonymousInfo.json["description"] as? String, "Builds more")
                XCTAssertEqual(anonymousInfo.json["uri"] as? String, "https://ci2.example")
                XCTAssertNil(anonymousInfo.json["client_secret"], "the secret is never public")
                OrgKit.assertAvatar(anonymousInfo.json["avatar"], name: "CI v2", kind: "app")
                let organization = OrgKit.object(anonymousInfo.json["organization"])
                XCTAssertEqual(organization["name"] as? String, "acme")
                XCTAssertEqual(organization["email"] as? String, "")
                XCTAssertEqual(organization["is_admin"] as? Bool, false)
                XCTAssertEqual(organization["is_member"] as? Bool, false)
                let adminInfo = try await world.aliceAPI.get("/api/v1/app/\(clientID)")
                let adminOrganization = OrgKit.object(adminInfo.json["organization"])
                XCTAssertEqual(adminOrganization["is_admin"] as? Bool, true)
                XCTAssertEqual(adminOrganization["email"] as? String, "acme@example.com")

                let unknownInfo = try await world.anonymous.get("/api/v1/app/doesnotexist")
                unknownInfo.assertAPIError(404, "not_found")
                let unknownGet = try await world.aliceAPI.get("\(base)/doesnotexist")
                unknownGet.assertAPIError(404, "not_found")

                let deleted = try await world.aliceAPI.delete("\(base)/\(clientID)")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                let afterDelete = try await world.aliceAPI.get("\(base)/\(clientID)")
                afterDelete.assertAPIError(404, "not_found")
                let infoAfterDelete = try await world.anonymous.get("/api/v1/app/\(clientID)")
                infoAfterDelete.assertAPIError(404, "not_found")
                let deleteAgain = try await world.aliceAPI.delete("\(base)/\(clientID)")
                deleteAgain.assertAPIError(404, "not_found")
                let finalList = try await world.aliceAPI.get(base)
                XCTAssertEqual(OrgKit.objects(finalList.json["applications"]).count, 0)
            }
        }
    }

    func testApplicationsBelongToTheirOrganizationAndItsAdministrators() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                let base = "/api/v1/organization/acme/applications"
                let created = try await world.aliceAPI.post(base, ["name": "CI"])
                XCTAssertEqual(created.status, .ok, created.text)
                let clientID = try XCTUnwrap(created.json["client_id"] as? String)

                let noName = try await world.aliceAPI.post(base, ["description": "nameless"])
                XCTAssertEqual(noName.status.code, 400, noName.text)
                let blankName = try await world.aliceAPI.post(base, ["name": "  "])
                blankName.assertAPIError(400, "invalid_request")

                // Another organization's administrator cannot reach acme's application through their own organization.
                let carolOrg = try await server.quay(client, as: world.carol)
                try await OrgKit.createOrganization(carolOrg, "other")
                let crossGet = try await carolOrg.get("/api/v1/organization/other/applications/\(clientID)")
                crossGet.assertAPIError(404, "not_found")
                let crossDelete = try await carolOrg.delete("/api/v1/organization/other/applications/\(clientID)")
                crossDelete.assertAPIError(404, "not_found")
                let stillThere = try await world.aliceAPI.get("\(base)/\(clientID)")
                XCTAssertEqual(stillThere.status, .ok)

                for (label, caller, status) in [("member", world.bobAPI, 403), ("outsider", world.carolAPI, 403), ("anonymous", world.anonymous, 401)] {
                    let list = try await caller.get(base)
                    XCTAssertEqual(list.status.code, status, "\(label) list: \(list.text)")
                    let create = try await caller.post(base, ["name": "Sneaky"])
                    XCTAssertEqual(create.status.code, status, "\(label) create: \(create.text)")
                    let get = try await caller.get("\(base)/\(clientID)")
                    XCTAssertEqual(get.status.code, status, "\(label) get: \(get.text)")
                    let update = try await caller.put("\(base)/\(clientID)", ["name": "Sneaky"])
                    XCTAssertEqual(update.status.code, status, "\(label) update: \(update.text)")
                    let delete = try await caller.delete("\(base)/\(clientID)")
                    XCTAssertEqual(delete.status.code, status, "\(label) delete: \(delete.text)")
                }
                let unchanged = try await world.aliceAPI.get(base)
                XCTAssertEqual(OrgKit.names(unchanged.json["applications"]), ["CI"])

                // A member sees is_member in the public view.
                let memberInfo = try await world.bobAPI.get("/api/v1/app/\(clientID)")
                XCTAssertEqual(OrgKit.object(memberInfo.json["organization"])["is_member"] as? Bool, true)
                XCTAssertEqual(OrgKit.object(memberInfo.json["organization"])["is_admin"] as? Bool, false)
            }
        }
    }
}
