import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// `/api/v1/teams…`: Portus's teams, their members with per-member roles, their namespaces, and deletion
/// with or without an heir (portus.md §2.5).
final class PortusTeamTests: XCTestCase {

    func testCreateShowAndListTeams() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)

                let created = try await world.outsider.api.post("/api/v1/teams", ["name": "qa", "description": "Testers"])
                XCTAssertEqual(created.status, .created, created.text)
                created.assertKeys(PortusShape.team)
                created.assertPortusCORS()
                let team = created.ordered
                XCTAssertEqual(team["name"]?.string, "qa")
                XCTAssertEqual(team["description"]?.string, "Testers")
                XCTAssertEqual(team["hidden"]?.bool, false)
                XCTAssertTrue(PortusShape.isTime(team["created_at"]) && PortusShape.isTime(team["updated_at"]), "\(team)")
                let qaID = try XCTUnwrap(team["id"]?.int)
                let members = try await world.outsider.api.get("/api/v1/teams/\(qaID)/members")
                XCTAssertEqual(members.assertList(PortusShape.user, count: 1).first?["username"]?.string, "outsider", "the creator owns the team")
                let ownerPlace = try await server.server.store.teamMember(teamID: qaID, accountID: world.outsider.id)
                XCTAssertEqual(ownerPlace?.role, .owner)

                let shown = try await world.outsider.api.get("/api/v1/teams/\(qaID)")
                XCTAssertEqual(shown.status, .ok, shown.text)
                XCTAssertEqual(shown.ordered, team)
                let foreign = try await world.viewer.api.get("/api/v1/teams/\(qaID)")
                foreign.assertPortus(403, "Authorization fails")
                let byAdmin = try await world.root.api.get("/api/v1/teams/\(qaID)")
                XCTAssertEqual(byAdmin.status, .ok, byAdmin.text)

                // Form body; owner_id is for administrators.
                let formCreated = try await world.owner.api.call(.post, "/api/v1/teams", form: [("name", "ops")])
                XCTAssertEqual(formCreated.status, .created, formCreated.text)
                XCTAssertEqual(formCreated.ordered["description"]?.string, "")
                let chosenOwner = try await world.owner.api.post("/api/v1/teams", ["name": "mine", "owner_id": world.viewer.id])
                chosenOwner.assertPortus(403, "Authorization fails")
                let adminChoice = try await PortusKit.createTeam(world.root.api, "given", ownerID: world.viewer.id)
                let givenMembers = try await world.viewer.api.get("/api/v1/teams/\(adminChoice)/members")
                XCTAssertEqual(givenMembers.assertList(PortusShape.user).compactMap { $0["username"]?.string }, ["viewer"],
                               "owner_id makes that user the owner, not the administrator")
                let unknownOwner = try await world.root.api.post("/api/v1/teams", ["name": "orphan", "owner_id": 999_999])
                unknownOwner.assertPortus(404, "Not found")
                let badOwner = try await world.root.api.post("/api/v1/teams", ["name": "orphan", "owner_id": "abc"])
                badOwner.assertBadParameters([("owner_id", ["is invalid"])])

                // Validation.
                let missing = try await world.owner.api.post("/api/v1/teams", ["description": "x"])
                missing.assertBadParameters([("name", ["is missing"])])
                let duplicate = try await world.viewer.api.post("/api/v1/teams", ["name": "devs"])
                duplicate.assertFieldErrors(["name": ["has already been taken"]])
                let blank = try await world.viewer.api.post("/api/v1/teams", ["name": "  "])
                blank.assertFieldErrors(["name": ["can't be blank"]])
                let anonymous = try await world.anonymous.post("/api/v1/teams", ["name": "anon"])
                anonymous.assertPortus(401, "Authentication fails")

                // Lists: one's own teams; every Portus team for administrators; never Quay's.
                let ownerAccount = try await server.server.store.account(named: "owner")
                try await OrgKit.createOrganization(try await server.quay(client, as: try XCTUnwrap(ownerAccount)), "quayorg")
                func names(_ user: PortusUser) async throws -> [String] {
                    let response = try await user.api.get("/api/v1/teams?all=true")
                    XCTAssertEqual(response.status, .ok, response.text)
                    return response.assertList(PortusShape.team).compactMap { $0["name"]?.string }
                }
                let viewerTeams = try await names(world.viewer)
                XCTAssertEqual(viewerTeams, ["devs", "given"])
                let outsiderTeams = try await names(world.outsider)
                XCTAssertEqual(outsiderTeams, ["qa"])
                let allTeams = try await names(world.root)
                XCTAssertEqual(allTeams, ["devs", "qa", "ops", "given"])

                // A Quay organization's team reads as a hidden team, for its members.
                let quayOrganization = try await server.server.store.account(named: "quayorg")
                let owners = try await server.server.store.team(organizationID: try XCTUnwrap(quayOrganization).id, name: "owners")
                let ownersID = try XCTUnwrap(owners).id
                let hidden = try await world.owner.api.get("/api/v1/teams/\(ownersID)")
                XCTAssertEqual(hidden.status, .ok, hidden.text)
                hidden.assertKeys(PortusShape.team)
                XCTAssertEqual(hidden.ordered["hidden"]?.bool, true)
                let hiddenNamespaces = try await world.owner.api.get("/api/v1/teams/\(ownersID)/namespaces")
                XCTAssertEqual(hiddenNamespaces.assertList(PortusShape.namespace, count: 1).first?["name"]?.string, "quayorg")
                let notMember = try await world.viewer.api.get("/api/v1/teams/\(ownersID)")
                notMember.assertPortus(403, "Authorization fails")
                let addToQuayTeam = try await world.root.api.post("/api/v1/teams/\(ownersID)/members", ["user": "viewer", "role": "viewer"])
                addToQuayTeam.assertPortus(404, "Not found", "members of hidden teams are not managed here")

                for path in ["/api/v1/teams/999999", "/api/v1/teams/abc", "/api/v1/teams/999999/namespaces", "/api/v1/teams/999999/members"] {
                    let response = try await world.root.api.get(path)
                    response.assertPortus(404, "Not found", path)
                }
            }
        }
    }

    func testUpdateTeam() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let path = "/api/v1/teams/\(world.teamID)"

                let described = try await world.owner.api.put(path, ["team": ["description": "Developers"]])
                XCTAssertEqual(described.status, .ok, described.text)
                described.assertKeys(PortusShape.team)
                XCTAssertEqual(described.ordered["description"]?.string, "Developers")
                let renamed = try await world.root.api.call(.put, path, form: [("team[name]", "developers")])
                XCTAssertEqual(renamed.status, .ok, renamed.text)
                XCTAssertEqual(renamed.ordered["name"]?.string, "developers")
                let namespace = try await world.viewer.api.get("/api/v1/namespaces/\(world.namespaceID)")
                XCTAssertEqual(namespace.ordered["team"]?["name"]?.string, "developers", "the namespace follows its team")

                let unchanged = try await world.owner.api.put(path, ["team": ["name": "developers", "description": "Developers"]])
                XCTAssertEqual(unchanged.status.code, 422, unchanged.text)
                XCTAssertEqual(unchanged.ordered, .object([("message", .object([]))]))
                _ = try await PortusKit.createTeam(world.viewer.api, "taken")
                let taken = try await world.owner.api.put(path, ["team": ["name": "taken"]])
                taken.assertFieldErrors(["name": ["has already been taken"]])
                let blank = try await world.owner.api.put(path, ["team": ["name": ""]])
                blank.assertFieldErrors(["name": ["can't be blank"]])
                let flat = try await world.owner.api.put(path, ["name": "flat"])
                flat.assertBadParameters([("team", ["is missing"])])
                for user in [world.viewer, world.contributor, world.outsider] {
                    let refused = try await user.api.put(path, ["team": ["description": "by \(user.name)"]])
                    refused.assertPortus(403, "Authorization fails", user.name)
                }
                let unknown = try await world.root.api.put("/api/v1/teams/999999", ["team": ["description": "x"]])
                unknown.assertPortus(404, "Not found")

                let ownerAccount = try await server.server.store.account(named: "owner")
                try await OrgKit.createOrganization(try await server.quay(client, as: try XCTUnwrap(ownerAccount)), "quayorg")
                let quayOrganization = try await server.server.store.account(named: "quayorg")
                let owners = try await server.server.store.team(organizationID: try XCTUnwrap(quayOrganization).id, name: "owners")
                let quayTeam = try await world.root.api.put("/api/v1/teams/\(try XCTUnwrap(owners).id)", ["team": ["description": "x"]])
                quayTeam.assertPortus(403, "Authorization fails", "Quay's teams are changed with the Quay API")

                let ldap = try await world.owner.api.post("/api/v1/teams/\(world.teamID)/ldap_check")
                ldap.assertPortus(405, "this instance has disabled this endpoint")
            }
        }
    }

    func testTeamMembers() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let members = "/api/v1/teams/\(world.teamID)/members"

                let listed = try await world.viewer.api.get(members)
                XCTAssertEqual(listed.status, .ok, listed.text)
                let users = listed.assertList(PortusShape.user, count: 3)
                XCTAssertEqual(Set(users.compactMap { $0["username"]?.string }), ["owner", "contributor", "viewer"])
                XCTAssertEqual(Set(users.compactMap { $0["id"]?.int }), [world.owner.id, world.contributor.id, world.viewer.id],
                               "members are listed as users (user ids)")
                let outsider = try await world.outsider.api.get(members)
                outsider.assertPortus(403, "Authorization fails")

                // Adding: by user name, with a role; the answer is a TeamMembers entity.
                let spare = try await PortusKit.createUser(world.root.api, "spare")
                let added = try await world.owner.api.call(.post, members, form: [("user", "spare"), ("role", "contributor")])
                XCTAssertEqual(added.status, .created, added.text)
                added.assertKeys(PortusShape.member)
                XCTAssertEqual(added.ordered["team_id"]?.int, world.teamID)
                XCTAssertEqual(added.ordered["user_id"]?.int, spare.id)
                XCTAssertEqual(added.ordered["role"]?.string, "contributor")
                XCTAssertEqual(added.ordered["display_name"]?.string, "spare")
                XCTAssertTrue(PortusShape.isTime(added.ordered["created_at"]), added.text)
                let spareMembership = try XCTUnwrap(added.id)
                XCTAssertNotEqual(spareMembership, spare.id)

                let duplicate = try await world.owner.api.post(members, ["user": "spare", "role": "viewer"])
                duplicate.assertFieldErrors(["user": ["has already been taken"]])
                let unknownUser = try await world.owner.api.post(members, ["user": "ghost", "role": "viewer"])
                unknownUser.assertPortus(404, "Not found")
                let missing = try await world.owner.api.post(members, [String: Any]())
                missing.assertBadParameters([("role", ["is missing"]), ("user", ["is missing"])])
                let badRole = try await world.owner.api.post(members, ["user": "outsider", "role": "king"])
                badRole.assertFieldErrors(["role": ["is not one of viewer, contributor, owner"]], "Portus answers a 500 here")
                for user in [world.viewer, world.contributor, world.outsider] {
                    let refused = try await user.api.post(members, ["user": "outsider", "role": "viewer"])
                    refused.assertPortus(403, "Authorization fails", user.name)
                }
                let unknownTeam = try await world.root.api.post("/api/v1/teams/999999/members", ["user": "outsider", "role": "viewer"])
                unknownTeam.assertPortus(404, "Not found")

                // An administrator joins as owner whatever the role asked for, and cannot be demoted.
                let adminAdded = try await world.owner.api.post(members, ["user": "root", "role": "viewer"])
                XCTAssertEqual(adminAdded.status, .created, adminAdded.text)
                XCTAssertEqual(adminAdded.ordered["role"]?.string, "owner")
                let rootMembership = try XCTUnwrap(adminAdded.id)
                let demoteAdmin = try await world.owner.api.put("\(members)/\(rootMembership)", ["role": "viewer"])
                demoteAdmin.assertPortus(422, "User cannot be demoted because it's a Portus admin")

                // Changing roles; the member id is the membership's.
                let promoted = try await world.owner.api.put("\(members)/\(spareMembership)", ["role": "owner"])
                XCTAssertEqual(promoted.status, .ok, promoted.text)
                promoted.assertKeys(PortusShape.member)
                XCTAssertEqual(promoted.ordered["role"]?.string, "owner")
                XCTAssertEqual(promoted.ordered["id"]?.int, spareMembership)
                let byUserID = try await world.owner.api.put("\(members)/\(spare.id)", ["role": "viewer"])
                XCTAssertEqual(byUserID.status, .notFound, "a user id is not a membership id: \(byUserID.text)")
                let noRole = try await world.owner.api.put("\(members)/\(spareMembership)", [String: Any]())
                noRole.assertBadParameters([("role", ["is missing"])])
                let badUpdate = try await world.owner.api.put("\(members)/\(spareMembership)", ["role": "boss"])
                badUpdate.assertFieldErrors(["role": ["is not one of viewer, contributor, owner"]])
                for user in [world.viewer, world.contributor, world.outsider] {
                    let refused = try await user.api.put("\(members)/\(spareMembership)", ["role": "viewer"])
                    refused.assertPortus(403, "Authorization fails", user.name)
                }
                let spareIsOwner = try await spare.api.put("\(members)/\(try XCTUnwrap(world.memberships["viewer"]))", ["role": "contributor"])
                XCTAssertEqual(spareIsOwner.status, .ok, "a new owner manages the members: \(spareIsOwner.text)")

                // Removing.
                for user in [world.viewer, world.contributor, world.outsider] {
                    let refused = try await user.api.delete("\(members)/\(spareMembership)")
                    refused.assertPortus(403, "Authorization fails", user.name)
                }
                let removed = try await world.owner.api.delete("\(members)/\(spareMembership)")
                XCTAssertEqual(removed.status, .noContent, removed.text)
                XCTAssertEqual(removed.body.readableBytes, 0)
                removed.assertPortusCORS()
                let removedAgain = try await world.owner.api.delete("\(members)/\(spareMembership)")
                removedAgain.assertPortus(404, "Not found")
                let spareLost = try await spare.api.get("/api/v1/teams/\(world.teamID)")
                spareLost.assertPortus(403, "Authorization fails")
                let otherTeam = try await PortusKit.createTeam(world.outsider.api, "elsewhere")
                let outsiderMembership = try await server.server.store.teamMember(teamID: otherTeam, accountID: world.outsider.id)
                let wrongTeam = try await world.root.api.delete("\(members)/\(try XCTUnwrap(outsiderMembership).id)")
                wrongTeam.assertPortus(404, "Not found", "a membership of another team")

                // The only owner stays: neither demoted nor removed (root, forced owner, leaves first).
                let rootLeaves = try await world.owner.api.delete("\(members)/\(rootMembership)")
                XCTAssertEqual(rootLeaves.status, .noContent, rootLeaves.text)
                let ownerMembership = try XCTUnwrap(world.memberships["owner"])
                let demoteOnly = try await world.owner.api.put("\(members)/\(ownerMembership)", ["role": "contributor"])
                demoteOnly.assertPortus(422, "Cannot remove the only owner of the team")
                let removeOnly = try await world.root.api.delete("\(members)/\(ownerMembership)")
                removeOnly.assertPortus(422, "Cannot remove the only owner of the team")
                let ownerStays = try await server.server.store.teamMember(id: ownerMembership)
                XCTAssertEqual(ownerStays?.role, .owner)

                // With a second owner, the first may step down.
                let contributorMembership = try XCTUnwrap(world.memberships["contributor"])
                let second = try await world.owner.api.put("\(members)/\(contributorMembership)", ["role": "owner"])
                XCTAssertEqual(second.status, .ok, second.text)
                let stepDown = try await world.owner.api.put("\(members)/\(ownerMembership)", ["role": "viewer"])
                XCTAssertEqual(stepDown.status, .ok, stepDown.text)
                XCTAssertEqual(stepDown.ordered["role"]?.string, "viewer")
            }
        }
    }

    func testDeleteTeamMovesOrDeletesItsNamespaces() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let heirID = try await PortusKit.createTeam(world.owner.api, "heirs")
                try await world.push("devspace/app", tag: "v1", as: world.owner)

                let sameTeam = try await world.owner.api.delete("/api/v1/teams/\(world.teamID)?new_team=devs")
                sameTeam.assertPortus(422, "Cannot migrate namespaces to the same team")
                let unknownHeir = try await world.owner.api.delete("/api/v1/teams/\(world.teamID)?new_team=ghosts")
                unknownHeir.assertPortus(404, "Not found")
                for user in [world.viewer, world.contributor, world.outsider] {
                    let refused = try await user.api.delete("/api/v1/teams/\(world.teamID)?new_team=heirs")
                    refused.assertPortus(403, "Authorization fails", user.name)
                }

                let moved = try await world.owner.api.delete("/api/v1/teams/\(world.teamID)?new_team=heirs")
                XCTAssertEqual(moved.status, .noContent, moved.text)
                XCTAssertEqual(moved.body.readableBytes, 0)
                let gone = try await world.root.api.get("/api/v1/teams/\(world.teamID)")
                gone.assertPortus(404, "Not found")
                let namespace = try await world.owner.api.get("/api/v1/namespaces/\(world.namespaceID)")
                XCTAssertEqual(namespace.status, .ok, namespace.text)
                XCTAssertEqual(namespace.ordered["team"]?["id"]?.int, heirID)
                let heirNamespaces = try await world.owner.api.get("/api/v1/teams/\(heirID)/namespaces")
                XCTAssertEqual(heirNamespaces.assertList(PortusShape.namespace, count: 1).first?["name"]?.string, "devspace")
                let repository = try await server.server.store.repository(namespace: "devspace", name: "app")
                XCTAssertNotNil(repository, "moved namespaces keep their repositories")
                let viewerLost = try await world.viewer.api.get("/api/v1/namespaces/\(world.namespaceID)")
                viewerLost.assertPortus(403, "Authorization fails", "devs' members have no role in heirs")

                // Without an heir the namespaces (and their repositories) go with the team.
                let delete = try await world.owner.api.delete("/api/v1/teams/\(heirID)")
                XCTAssertEqual(delete.status, .noContent, delete.text)
                let namespaceGone = try await world.root.api.get("/api/v1/namespaces/\(world.namespaceID)")
                namespaceGone.assertPortus(404, "Not found")
                let repositoryGone = try await server.server.store.repository(namespace: "devspace", name: "app")
                XCTAssertNil(repositoryGone)
                let unknown = try await world.root.api.delete("/api/v1/teams/999999")
                unknown.assertPortus(404, "Not found")
            }
        }
    }
}
