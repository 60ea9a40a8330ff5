import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// `/organization/{org}/team/…` and `/teaminvite/{code}`: teams, their roles, members, invitations
/// and permissions (quay.md §3.6).
final class QuayTeamTests: XCTestCase {
    func testCreateAndUpdateTeam() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                let path = "/api/v1/organization/acme/team/builders"

                let created = try await world.aliceAPI.put(path, ["role": "member"])
                XCTAssertEqual(created.status, .ok, created.text)
                XCTAssertEqual(created.json["name"] as? String, "builders")
                XCTAssertEqual(created.json["role"] as? String, "member")
                XCTAssertEqual(created.json["description"] as? String, "")
                XCTAssertEqual(created.json["can_view"] as? Bool, true)
                XCTAssertEqual(created.json["new_team"] as? Bool, true)
                OrgKit.assertAvatar(created.json["avatar"], name: "builders", kind: "team")

                let creator = try await world.aliceAPI.put(path, ["role": "creator", "description": "Build team"])
                XCTAssertEqual(creator.status, .ok, creator.text)
                XCTAssertEqual(creator.json["new_team"] as? Bool, false)
                XCTAssertEqual(creator.json["role"] as? String, "creator")
                XCTAssertEqual(creator.json["description"] as? String, "Build team")

                let sameRole = try await world.aliceAPI.put(path, ["role": "creator"])
                XCTAssertEqual(sameRole.json["new_team"] as? Bool, false)
                XCTAssertEqual(sameRole.json["description"] as? String, "Build team", "an absent description is kept")

                let admin = try await world.aliceAPI.put(path, ["role": "admin"])
                XCTAssertEqual(admin.json["role"] as? String, "admin")

                let view = try await world.aliceAPI.get("/api/v1/organization/acme")
                let builders = OrgKit.object(OrgKit.object(view.json["teams"])["builders"])
                XCTAssertEqual(builders["role"] as? String, "admin")
                XCTAssertEqual(builders["description"] as? String, "Build team")
                XCTAssertEqual(view.json["ordered_teams"] as? [String], ["owners", "devs", "builders"], "creation order")

                // An admin team makes its members organization administrators.
                try await OrgKit.addMember(world.aliceAPI, "acme", "builders", "carol")
                let carolView = try await world.carolAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(carolView.json["is_admin"] as? Bool, true)
                try await OrgKit.saveTeam(world.aliceAPI, "acme", "builders", role: "creator")
                let carolDemoted = try await world.carolAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(carolDemoted.json["is_admin"] as? Bool, false)
                XCTAssertEqual(carolDemoted.json["is_member"] as? Bool, true)

                let invalidRole = try await world.aliceAPI.put(path, ["role": "superhero"])
                invalidRole.assertAPIError(400, "invalid_request")
                let missingRole = try await world.aliceAPI.put(path, ["description": "no role"])
                XCTAssertEqual(missingRole.status.code, 400, missingRole.text)
                let badName = try await world.aliceAPI.put("/api/v1/organization/acme/team/Bad%20Team", ["role": "member"])
                XCTAssertEqual(badName.status.code, 400, badName.text)
                let unchanged = try await world.aliceAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(unchanged.json["ordered_teams"] as? [String], ["owners", "devs", "builders"])

                let byMember = try await world.bobAPI.put(path, ["role": "member"])
                byMember.assertAPIError(403, "insufficient_scope")
                let byAnonymous = try await world.anonymous.put(path, ["role": "member"])
                byAnonymous.assertAPIError(401, "invalid_token")
            }
        }
    }

    func testDeleteTeamAndLastAdminTeamRules() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)

                let deleted = try await world.aliceAPI.delete("/api/v1/organization/acme/team/devs")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                let view = try await world.aliceAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(view.json["ordered_teams"] as? [String], ["owners"])
                let bobView = try await world.bobAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(bobView.json["is_member"] as? Bool, false, "bob was only in devs")
                let again = try await world.aliceAPI.delete("/api/v1/organization/acme/team/devs")
                again.assertMessage(400)

                // alice's only admin team: she can neither delete it, demote it, nor leave it.
                let deleteOwners = try await world.aliceAPI.delete("/api/v1/organization/acme/team/owners")
                deleteOwners.assertMessage(400)
                let demoteOwners = try await world.aliceAPI.put("/api/v1/organization/acme/team/owners", ["role": "creator"])
                demoteOwners.assertMessage(400)
                let leaveOwners = try await world.aliceAPI.delete("/api/v1/organization/acme/team/owners/members/alice")
                leaveOwners.assertMessage(400)
                let still = try await world.aliceAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(still.json["is_admin"] as? Bool, true)
                XCTAssertEqual(OrgKit.object(OrgKit.object(still.json["teams"])["owners"])["role"] as? String, "admin")
                XCTAssertEqual(OrgKit.object(OrgKit.object(still.json["teams"])["owners"])["member_count"] as? Int, 1)

                // With a second admin team, owners can be demoted and then deleted.
                try await OrgKit.saveTeam(world.aliceAPI, "acme", "admins", role: "admin")
                try await OrgKit.addMember(world.aliceAPI, "acme", "admins", "alice")
                let demoted = try await world.aliceAPI.put("/api/v1/organization/acme/team/owners", ["role": "member"])
                XCTAssertEqual(demoted.status, .ok, demoted.text)
                XCTAssertEqual(demoted.json["role"] as? String, "member")
                let deletedOwners = try await world.aliceAPI.delete("/api/v1/organization/acme/team/owners")
                XCTAssertEqual(deletedOwners.status, .noContent, deletedOwners.text)
                let final = try await world.aliceAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(final.json["is_admin"] as? Bool, true)
                XCTAssertEqual(final.json["ordered_teams"] as? [String], ["admins"])
                // admins is now alice's last admin team.
                let lastAgain = try await world.aliceAPI.delete("/api/v1/organization/acme/team/admins")
                lastAgain.assertMessage(400)

                // Another administrator may delete a team alice depends on: the rule protects the caller only.
                try await OrgKit.addMember(world.aliceAPI, "acme", "admins", "carol")
                try await OrgKit.saveTeam(world.aliceAPI, "acme", "second", role: "admin")
                try await OrgKit.addMember(world.aliceAPI, "acme", "second", "carol")
                let carolDeletes = try await world.carolAPI.delete("/api/v1/organization/acme/team/admins")
                XCTAssertEqual(carolDeletes.status, .noContent, carolDeletes.text)
                let aliceAfter = try await world.aliceAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(aliceAfter.json["is_admin"] as? Bool, false)

                let byMember = try await world.bobAPI.delete("/api/v1/organization/acme/team/second")
                byMember.assertAPIError(403, "insufficient_scope")
                let byAnonymous = try await world.anonymous.delete("/api/v1/organization/acme/team/second")
                byAnonymous.assertAPIError(401, "invalid_token")
            }
        }
    }

    func testTeamMembers() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                let carolAPI = try await server.quay(client, as: world.carol)
                _ = try await OrgKit.createRobot(carolAPI, prefix: "/api/v1/user/robots", "mine")
                _ = try await OrgKit.createRobot(world.aliceAPI, prefix: "/api/v1/organization/acme/robots", "bot")
                try await OrgKit.saveTeam(world.aliceAPI, "acme", "ops", role: "member")
                let base = "/api/v1/organization/acme/team/ops/members"

                // FEATURE_MAILING is off: users are added at once.
                let addCarol = try await world.aliceAPI.put("\(base)/carol")
                XCTAssertEqual(addCarol.status, .ok, addCarol.text)
                XCTAssertEqual(addCarol.json["name"] as? String, "carol")
                XCTAssertEqual(addCarol.json["kind"] as? String, "user")
                XCTAssertEqual(addCarol.json["is_robot"] as? Bool, false)
                XCTAssertEqual(addCarol.json["invited"] as? Bool, false)
                OrgKit.assertAvatar(addCarol.json["avatar"], name: "carol", kind: "user")

                let addRobot = try await world.aliceAPI.put("\(base)/acme+bot")
                XCTAssertEqual(addRobot.status, .ok, addRobot.text)
                XCTAssertEqual(addRobot.json["is_robot"] as? Bool, true)
                XCTAssertEqual(addRobot.json["invited"] as? Bool, false)

                let foreignRobot = try await world.aliceAPI.put("\(base)/carol+mine")
                XCTAssertEqual(foreignRobot.status.code, 400, foreignRobot.text)
                let unknown = try await world.aliceAPI.put("\(base)/nobody")
                unknown.assertAPIError(400, "invalid_request")
                XCTAssertEqual(unknown.json["error_message"] as? String, "Unknown user")
                let organization = try await world.aliceAPI.put("\(base)/acme")
                XCTAssertEqual(organization.status.code, 400, "an organization cannot be a team member: \(organization.text)")
                let unknownTeam = try await world.aliceAPI.put("/api/v1/organization/acme/team/nope/members/carol")
                unknownTeam.assertAPIError(404, "not_found")

                let list = try await world.aliceAPI.get(base)
                XCTAssertEqual(list.status, .ok, list.text)
                XCTAssertEqual(list.json["name"] as? String, "ops")
                XCTAssertEqual(list.json["can_edit"] as? Bool, true)
                let members = OrgKit.objects(list.json["members"])
                XCTAssertEqual(members.compactMap { $0["name"] as? String }.sorted(), ["acme+bot", "carol"])
                let robot = try XCTUnwrap(members.first { $0["name"] as? String == "acme+bot" })
                XCTAssertEqual(robot["kind"] as? String, "user")
                XCTAssertEqual(robot["is_robot"] as? Bool, true)
                XCTAssertEqual(robot["invited"] as? Bool, false)
                OrgKit.assertAvatar(robot["avatar"], name: "acme+bot", kind: "robot")

                // Team members may read their own team's members, but cannot edit; others are refused.
                let carolList = try await carolAPI.get(base)
                XCTAssertEqual(carolList.status, .ok, carolList.text)
                XCTAssertEqual(carolList.json["can_edit"] as? Bool, false)
                let bobList = try await world.bobAPI.get(base)
                bobList.assertAPIError(403, "insufficient_scope")
                let bobOwnTeam = try await world.bobAPI.get("/api/v1/organization/acme/team/devs/members")
                XCTAssertEqual(bobOwnTeam.status, .ok, bobOwnTeam.text)
                let anonymousList = try await world.anonymous.get(base)
                anonymousList.assertAPIError(401, "invalid_token")
                let carolAdds = try await carolAPI.put("\(base)/bob")
                carolAdds.assertAPIError(403, "insufficient_scope")
                let unknownTeamList = try await world.aliceAPI.get("/api/v1/organization/acme/team/nope/members")
                unknownTeamList.assertAPIError(404, "not_found")

                let removed = try await world.aliceAPI.delete("\(base)/carol")
                XCTAssertEqual(removed.status, .noContent, removed.text)
                let after = try await world.aliceAPI.get(base)
                XCTAssertEqual(OrgKit.names(after.json["members"]), ["acme+bot"])
                let carolAfter = try await carolAPI.get(base)
                carolAfter.assertAPIError(403, "insufficient_scope")
                let removeRobot = try await world.aliceAPI.delete("\(base)/acme+bot")
                XCTAssertEqual(removeRobot.status, .noContent, removeRobot.text)
                let empty = try await world.aliceAPI.get(base)
                XCTAssertEqual(OrgKit.objects(empty.json["members"]).count, 0)
                let view = try await world.aliceAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(OrgKit.object(OrgKit.object(view.json["teams"])["ops"])["member_count"] as? Int, 0)
            }
        }
    }

    func testEmailInvitations() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                let dave = try await server.user("dave")
                let daveAPI = try await server.quay(client, as: dave)
                let team = "/api/v1/organization/acme/team/devs"

                let invited = try await world.aliceAPI.put("\(team)/invite/dave@example.com")
                XCTAssertEqual(invited.status, .ok, invited.text)
                XCTAssertEqual(invited.json["kind"] as? String, "invite")
                XCTAssertEqual(invited.json["email"] as? String, "dave@example.com")
                XCTAssertEqual(invited.json["invited"] as? Bool, true)
                OrgKit.assertAvatar(invited.json["avatar"], name: "dave@example.com", kind: "user")
                let code = try XCTUnwrap(invited.json["invite_code"] as? String, invited.text)
                XCTAssertFalse(code.isEmpty)

                let pending = try await world.aliceAPI.get("\(team)/members?includePending=true")
                let pendingMembers = OrgKit.objects(pending.json["members"])
                XCTAssertEqual(OrgKit.names(pending.json["members"]), ["bob"], "the invitation has an e-mail, not a name")
                let invite = try XCTUnwrap(pendingMembers.first { $0["kind"] as? String == "invite" }, pending.text)
                XCTAssertEqual(invite["email"] as? String, "dave@example.com")
                XCTAssertEqual(invite["invited"] as? Bool, true)
                let withoutPending = try await world.aliceAPI.get("\(team)/members")
                XCTAssertEqual(OrgKit.objects(withoutPending.json["members"]).count, 1, "pending invitations only with includePending")
                let memberPending = try await world.bobAPI.get("\(team)/members?includePending=true")
                XCTAssertEqual(OrgKit.objects(memberPending.json["members"]).count, 1, "invitations are shown to administrators only")

                // Accepting as the invited user makes them a member.
                let accepted = try await daveAPI.put("/api/v1/teaminvite/\(code)")
                XCTAssertEqual(accepted.status, .ok, accepted.text)
                XCTAssertEqual(accepted.json["org"] as? String, "acme")
                XCTAssertEqual(accepted.json["team"] as? String, "devs")
                let afterAccept = try await world.aliceAPI.get("\(team)/members?includePending=true")
                let afterMembers = OrgKit.objects(afterAccept.json["members"])
                XCTAssertEqual(afterMembers.compactMap { $0["name"] as? String }.sorted(), ["bob", "dave"])
                XCTAssertFalse(afterMembers.contains { $0["kind"] as? String == "invite" }, "the accepted invitation is gone")
                let daveView = try await daveAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(daveView.json["is_member"] as? Bool, true)
                let reused = try await daveAPI.put("/api/v1/teaminvite/\(code)")
                reused.assertAPIError(404, "not_found")

                // Cancelling an invitation.
                let second = try await world.aliceAPI.put("\(team)/invite/someone@example.com")
                XCTAssertEqual(second.status, .ok, second.text)
                let cancelled = try await world.aliceAPI.delete("\(team)/invite/someone@example.com")
                XCTAssertEqual(cancelled.status, .noContent, cancelled.text)
                let cancelledAgain = try await world.aliceAPI.delete("\(team)/invite/someone@example.com")
                cancelledAgain.assertAPIError(404, "not_found")
                let secondCode = try XCTUnwrap(second.json["invite_code"] as? String)
                let acceptCancelled = try await world.carolAPI.put("/api/v1/teaminvite/\(secondCode)")
                acceptCancelled.assertAPIError(404, "not_found")

                // Declining an invitation.
                let third = try await world.aliceAPI.put("\(team)/invite/carol@example.com")
                let thirdCode = try XCTUnwrap(third.json["invite_code"] as? String, third.text)
                let anonymousAccept = try await world.anonymous.put("/api/v1/teaminvite/\(thirdCode)")
                anonymousAccept.assertAPIError(401, "invalid_token")
                let declined = try await world.carolAPI.delete("/api/v1/teaminvite/\(thirdCode)")
                XCTAssertEqual(declined.status, .noContent, declined.text)
                let carolView = try await world.carolAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(carolView.json["is_member"] as? Bool, false)
                let acceptDeclined = try await world.carolAPI.put("/api/v1/teaminvite/\(thirdCode)")
                acceptDeclined.assertAPIError(404, "not_found")
                let unknownCode = try await world.carolAPI.put("/api/v1/teaminvite/urn:teaminvite:doesnotexist")
                unknownCode.assertAPIError(404, "not_found")

                let badEmail = try await world.aliceAPI.put("\(team)/invite/not-an-email")
                XCTAssertEqual(badEmail.status.code, 400, badEmail.text)
                let byMember = try await world.bobAPI.put("\(team)/invite/x@example.com")
                byMember.assertAPIError(403, "insufficient_scope")
                let cancelByMember = try await world.bobAPI.delete("\(team)/invite/x@example.com")
                cancelByMember.assertAPIError(403, "insufficient_scope")
            }
        }
    }

    func testAddingAUserOutsideTheOrganizationInvitesThemWhenMailingIsOn() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database) { $0.mailing = true }
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                let base = "/api/v1/organization/acme/team/devs/members"
                // The world adds bob to devs while he is outside the organization: with mailing on, that invited him.
                let bobView = try await world.bobAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(bobView.json["is_member"] as? Bool, false, "with FEATURE_MAILING an outsider is invited, not added")

                let invited = try await world.aliceAPI.put("\(base)/carol")
                XCTAssertEqual(invited.status, .ok, invited.text)
                XCTAssertEqual(invited.json["name"] as? String, "carol")
                XCTAssertEqual(invited.json["invited"] as? Bool, true)
                let code = try XCTUnwrap(invited.json["invite_code"] as? String, invited.text)

                let pending = try await world.aliceAPI.get("\(base)?includePending=true")
                let entries = OrgKit.objects(pending.json["members"])
                let carol = try XCTUnwrap(entries.first { $0["name"] as? String == "carol" }, pending.text)
                XCTAssertEqual(carol["invited"] as? Bool, true)
                XCTAssertEqual(carol["kind"] as? String, "user")
                let members = try await world.aliceAPI.get(base)
                XCTAssertEqual(OrgKit.objects(members.json["members"]).count, 0, "invitees are not members")

                // The invitation is for carol only.
                let wrongUser = try await world.bobAPI.put("/api/v1/teaminvite/\(code)")
                wrongUser.assertMessage(400)
                let accepted = try await world.carolAPI.put("/api/v1/teaminvite/\(code)")
                XCTAssertEqual(accepted.status, .ok, accepted.text)
                let after = try await world.aliceAPI.get(base)
                XCTAssertEqual(OrgKit.names(after.json["members"]), ["carol"])

                // Someone already in the organization is added at once.
                try await OrgKit.saveTeam(world.aliceAPI, "acme", "ops", role: "member")
                let direct = try await world.aliceAPI.put("/api/v1/organization/acme/team/ops/members/carol")
                XCTAssertEqual(direct.json["invited"] as? Bool, false, direct.text)
                XCTAssertNil(direct.json["invite_code"])

                // Removing an invitee cancels the invitation.
                let cancel = try await world.aliceAPI.delete("\(base)/bob")
                XCTAssertEqual(cancel.status, .noContent, cancel.text)
                let afterCancel = try await world.aliceAPI.get("\(base)?includePending=true")
                XCTAssertEqual(OrgKit.names(afterCancel.json["members"]), ["carol"])
            }
        }
    }

    func testTeamPermissionsAndSyncing() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await OrgKit.world(server, client)
                try await world.repository("app")
                try await world.repository("site", visibility: .public)
                try await OrgKit.grant(world.aliceAPI, "acme/app", team: "devs", role: "write")
                try await OrgKit.grant(world.aliceAPI, "acme/site", team: "devs", role: "read")

                let permissions = try await world.aliceAPI.get("/api/v1/organization/acme/team/devs/permissions")
                XCTAssertEqual(permissions.status, .ok, permissions.text)
                let entries = OrgKit.objects(permissions.json["permissions"])
                XCTAssertEqual(entries.count, 2, permissions.text)
                let app = try XCTUnwrap(entries.first { OrgKit.object($0["repository"])["name"] as? String == "app" })
                XCTAssertEqual(app["role"] as? String, "write")
                XCTAssertEqual(OrgKit.object(app["repository"])["is_public"] as? Bool, false)
                let site = try XCTUnwrap(entries.first { OrgKit.object($0["repository"])["name"] as? String == "site" })
                XCTAssertEqual(site["role"] as? String, "read")
                XCTAssertEqual(OrgKit.object(site["repository"])["is_public"] as? Bool, true)
                let owners = try await world.aliceAPI.get("/api/v1/organization/acme/team/owners/permissions")
                XCTAssertEqual(OrgKit.objects(owners.json["permissions"]).count, 0)
                let view = try await world.aliceAPI.get("/api/v1/organization/acme")
                XCTAssertEqual(OrgKit.object(OrgKit.object(view.json["teams"])["devs"])["repo_count"] as? Int, 2)

                let byMember = try await world.bobAPI.get("/api/v1/organization/acme/team/devs/permissions")
                byMember.assertAPIError(403, "insufficient_scope")
                let unknownTeam = try await world.aliceAPI.get("/api/v1/organization/acme/team/nope/permissions")
                unknownTeam.assertAPIError(404, "not_found")

                // No directory service: syncing is refused even to administrators.
                let syncing = "/api/v1/organization/acme/team/devs/syncing"
                let enable = try await world.aliceAPI.post(syncing, ["group_dn": "cn=devs"])
                enable.assertAPIError(403, "insufficient_scope")
                let disable = try await world.aliceAPI.delete(syncing)
                disable.assertAPIError(403, "insufficient_scope")
                let anonymousEnable = try await world.anonymous.post(syncing, ["group_dn": "cn=devs"])
                anonymousEnable.assertAPIError(401, "invalid_token")
                let anonymousDisable = try await world.anonymous.delete(syncing)
                anonymousDisable.assertAPIError(401, "invalid_token")
            }
        }
    }
}
