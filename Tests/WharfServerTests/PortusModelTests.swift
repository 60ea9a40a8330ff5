import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// One model under three APIs: what the Portus API sets up (teams, roles, namespace visibility,
/// administrators, application tokens) decides pulls and pushes on `/v2`, and shows through the Quay API.
final class PortusModelTests: XCTestCase {

    /// The status of a pull (`GET /v2/<name>/manifests/<tag>`) with `auth`.
    static func pull(_ client: any TestClientProtocol, _ name: String, _ tag: String = "v1", _ auth: HTTPFields = [:]) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/v2/\(name)/manifests/\(tag)", method: .get, headers: auth).status
    }

    /// The status of starting a push (`POST /v2/<name>/blobs/uploads/`) with `auth`.
    static func startPush(_ client: any TestClientProtocol, _ name: String, _ auth: HTTPFields) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/v2/\(name)/blobs/uploads/", method: .post, headers: auth).status
    }

    func testTeamRolesDecidePullsAndPushes() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let store = server.server.store
                try await world.push("devspace/app", tag: "v1", as: world.owner)

                // Viewer: pulls, never pushes, creates nothing.
                let viewerPull = try await Self.pull(client, "devspace/app", "v1", world.viewer.basic)
                XCTAssertEqual(viewerPull, .ok)
                let viewerPush = try await Self.startPush(client, "devspace/app", world.viewer.basic)
                XCTAssertEqual(viewerPush, .unauthorized)
                let viewerCreate = try await Self.startPush(client, "devspace/viewers", world.viewer.basic)
                XCTAssertEqual(viewerCreate, .unauthorized)
                let notCreated = try await store.repository(namespace: "devspace", name: "viewers")
                XCTAssertNil(notCreated)
                let viewerToken = try await RegistryTokens.request(client, server: server, auth: world.viewer.basic, scope: "repository:devspace/app:pull,push,*")
                XCTAssertEqual(viewerToken.response.status, .ok, viewerToken.response.text)
                XCTAssertEqual(RegistryTokens.actions(viewerToken.claims, on: "devspace/app"), ["pull"])

                // Contributor: pushes to existing repositories and creates new ones.
                try await world.push("devspace/app", tag: "v2", as: world.contributor, layer: "by the contributor")
                try await world.push("devspace/fresh", tag: "v1", as: world.contributor, layer: "new repository")
                let contributorToken = try await RegistryTokens.request(client, server: server, auth: world.contributor.basic,
                                                                        scope: "repository:devspace/app:pull,push,*")
                XCTAssertEqual(Set(RegistryTokens.actions(contributorToken.claims, on: "devspace/app")), ["pull", "push"])
                let tags = try await world.owner.api.get("/api/v1/repositories/\(try await world.repository("devspace", "app").id)/tags")
                let authors = Dictionary(uniqueKeysWithValues: tags.ordered.items.map { ($0["name"]?.string ?? "", $0["author"]?["name"]?.string) })
                XCTAssertEqual(authors, ["v1": "owner", "v2": "contributor"], "Portus shows who pushed each tag")

                // Owner: administers (the Quay role `admin` on the namespace's repositories).
                let ownerToken = try await RegistryTokens.request(client, server: server, auth: world.owner.basic, scope: "repository:devspace/app:pull,push,*")
                XCTAssertEqual(Set(RegistryTokens.actions(ownerToken.claims, on: "devspace/app")), ["pull", "push", "*"])
                let ownerAccount = try await store.account(named: "owner")
                let ownerQuay = try await server.quay(client, as: try XCTUnwrap(ownerAccount))
                let grant = try await ownerQuay.put("/api/v1/repository/devspace/app/permissions/user/outsider", ["role": "read"])
                XCTAssertEqual(grant.status, .ok, "the team's owner administers the repository in the Quay API: \(grant.text)")
                let contributorAccount = try await store.account(named: "contributor")
                let contributorQuay = try await server.quay(client, as: try XCTUnwrap(contributorAccount))
                let contributorGrant = try await contributorQuay.put("/api/v1/repository/devspace/app/permissions/user/outsider", ["role": "write"])
                XCTAssertEqual(contributorGrant.status, .forbidden, contributorGrant.text)

                // Outsider: only what it was granted.
                let outsiderPull = try await Self.pull(client, "devspace/app", "v1", world.outsider.basic)
                XCTAssertEqual(outsiderPull, .ok, "granted read through the Quay API")
                let outsiderOther = try await Self.pull(client, "devspace/fresh", "v1", world.outsider.basic)
                XCTAssertEqual(outsiderOther, .unauthorized)
                let anonymousPull = try await Self.pull(client, "devspace/app")
                XCTAssertEqual(anonymousPull, .unauthorized)

                // Roles changed through the Portus API take effect at once.
                let viewerMembership = try XCTUnwrap(world.memberships["viewer"])
                let promoted = try await world.owner.api.put("/api/v1/teams/\(world.teamID)/members/\(viewerMembership)", ["role": "contributor"])
                XCTAssertEqual(promoted.status, .ok, promoted.text)
                try await world.push("devspace/app", tag: "v3", as: world.viewer, layer: "promoted viewer")
                let removed = try await world.owner.api.delete("/api/v1/teams/\(world.teamID)/members/\(viewerMembership)")
                XCTAssertEqual(removed.status, .noContent, removed.text)
                let formerPull = try await Self.pull(client, "devspace/app", "v1", world.viewer.basic)
                XCTAssertEqual(formerPull, .unauthorized, "a former member pulls nothing from a private namespace")
                let added = try await world.owner.api.post("/api/v1/teams/\(world.teamID)/members", ["user": "outsider", "role": "viewer"])
                XCTAssertEqual(added.status, .created, added.text)
                let joinedPull = try await Self.pull(client, "devspace/fresh", "v1", world.outsider.basic)
                XCTAssertEqual(joinedPull, .ok, "a new viewer pulls every repository of the namespace")
            }
        }
    }

    func testCreatorsOfRepositoriesHoldOnlyTheirTeamRole() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                try await world.push("devspace/mine", tag: "v1", as: world.contributor)
                let repository = try await world.repository("devspace", "mine")

                let shown = try await world.contributor.api.get("/api/v1/repositories/\(repository.id)")
                XCTAssertEqual(shown.ordered["destroyable"]?.bool, false, "creating a repository does not make a contributor its administrator")
                let update = try await world.contributor.api.put("/api/v1/repositories/\(repository.id)", ["repository": ["description": "x"]])
                update.assertPortus(403, "Authorization fails")
                let delete = try await world.contributor.api.delete("/api/v1/repositories/\(repository.id)")
                delete.assertPortus(403, "Authorization fails")

                let membership = try XCTUnwrap(world.memberships["contributor"])
                let removed = try await world.owner.api.delete("/api/v1/teams/\(world.teamID)/members/\(membership)")
                XCTAssertEqual(removed.status, .noContent, removed.text)
                let pull = try await Self.pull(client, "devspace/mine", "v1", world.contributor.basic)
                XCTAssertEqual(pull, .unauthorized, "leaving the team takes away the repositories one created")
                let push = try await Self.startPush(client, "devspace/mine", world.contributor.basic)
                XCTAssertEqual(push, .unauthorized)
            }
        }
    }

    func testNamespaceVisibilityDecidesWhoPulls() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                try await world.push("devspace/app", tag: "v1", as: world.owner)
                let quayUser = try await server.user("quayonly")
                XCTAssertFalse(quayUser.isOrganization)
                let signedIn = HTTPFields.basic("quayonly", "password1")

                // Private: the team only.
                for (auth, expected) in [(world.outsider.basic, HTTPResponse.Status.unauthorized), (signedIn, .unauthorized), ([:], .unauthorized)] {
                    let status = try await Self.pull(client, "devspace/app", "v1", auth)
                    XCTAssertEqual(status, expected, "private")
                }

                // Protected: every signed-in user pulls, nobody else; nobody new pushes.
                try await PortusKit.updateNamespace(world.owner.api, world.namespaceID, ["visibility": "protected"])
                for auth in [world.outsider.basic, signedIn, world.viewer.basic] {
                    let status = try await Self.pull(client, "devspace/app", "v1", auth)
                    XCTAssertEqual(status, .ok, "protected")
                }
                let anonymousProtected = try await Self.pull(client, "devspace/app")
                XCTAssertEqual(anonymousProtected, .unauthorized, "protected is not public")
                let outsiderPush = try await Self.startPush(client, "devspace/app", world.outsider.basic)
                XCTAssertEqual(outsiderPush, .unauthorized)
                let outsiderSees = try await world.outsider.api.get("/api/v1/namespaces/\(world.namespaceID)/repositories")
                XCTAssertEqual(outsiderSees.assertList(PortusShape.repository).compactMap { $0["full_name"]?.string }, ["devspace/app"])
                let token = try await RegistryTokens.request(client, server: server, auth: world.outsider.basic, scope: "repository:devspace/app:pull,push")
                XCTAssertEqual(RegistryTokens.actions(token.claims, on: "devspace/app"), ["pull"])

                // Public: anyone pulls, anonymously too; pushing is still the team's.
                try await PortusKit.updateNamespace(world.owner.api, world.namespaceID, ["visibility": "public"])
                let anonymousPublic = try await Self.pull(client, "devspace/app")
                XCTAssertEqual(anonymousPublic, .ok, "public namespaces are pulled anonymously")
                let anonymousToken = try await RegistryTokens.request(client, server: server, auth: [:], scope: "repository:devspace/app:pull,push")
                XCTAssertEqual(anonymousToken.response.status, .ok, anonymousToken.response.text)
                XCTAssertEqual(RegistryTokens.actions(anonymousToken.claims, on: "devspace/app"), ["pull"])
                let anonymousPush = try await Self.startPush(client, "devspace/app", [:])
                XCTAssertEqual(anonymousPush, .unauthorized)
                let quayPublic = try await QuayClient(client: client, token: nil).get("/api/v1/repository/devspace/app")
                XCTAssertEqual(quayPublic.status, .ok, quayPublic.text)
                XCTAssertEqual(quayPublic.json["is_public"] as? Bool, true, "the Quay API sees the namespace's repositories as public")

                // Back to private.
                try await PortusKit.updateNamespace(world.owner.api, world.namespaceID, ["visibility": "private"])
                let anonymousAgain = try await Self.pull(client, "devspace/app")
                XCTAssertEqual(anonymousAgain, .unauthorized)
                let outsiderAgain = try await Self.pull(client, "devspace/app", "v1", world.outsider.basic)
                XCTAssertEqual(outsiderAgain, .unauthorized)
            }
        }
    }

    /// A Portus administrator manages everything through the Portus API, but reads and writes others'
    /// private repositories on `/v2` only with `FEATURE_SUPERUSERS_FULL_ACCESS` (Quay's rule for superusers;
    /// Portus gives its administrators every registry action).
    func testAdministratorsOnTheRegistryFollowSuperuserFullAccess() async throws {
        for fullAccess in [false, true] {
            try await withEachDatabase { database in
                let server = try await TestServer.make(database: database) { $0.superusersFullAccess = fullAccess }
                try await server.run { client in
                    let world = try await PortusWorld.make(server, client)
                    try await world.push("devspace/app", tag: "v1", as: world.owner)
                    let pull = try await Self.pull(client, "devspace/app", "v1", world.root.basic)
                    XCTAssertEqual(pull, fullAccess ? .ok : .unauthorized, "full access: \(fullAccess)")
                    let push = try await Self.startPush(client, "devspace/app", world.root.basic)
                    XCTAssertEqual(push, fullAccess ? .accepted : .unauthorized, "full access: \(fullAccess)")
                    let shown = try await world.root.api.get("/api/v1/repositories/\(try await world.repository("devspace", "app").id)")
                    XCTAssertEqual(shown.status, .ok, "the Portus API is the administrator's either way: \(shown.text)")
                    XCTAssertEqual(shown.ordered["destroyable"]?.bool, true)
                }
            }
        }
    }

    func testPortusObjectsShowInTheQuayAPI() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let store = server.server.store
                try await world.push("devspace/app", tag: "v1", as: world.contributor)
                let repository = try await world.repository("devspace", "app")
                let described = try await world.owner.api.put("/api/v1/repositories/\(repository.id)", ["repository": ["description": "From Portus"]])
                XCTAssertEqual(described.status, .ok, described.text)
                func quay(_ name: String) async throws -> QuayClient {
                    let account = try await store.account(named: name)
                    return try await server.quay(client, as: try XCTUnwrap(account, name))
                }

                // The repository pushed into the Portus namespace, in Quay's list for members only.
                let viewerList = try await quay("viewer").get("/api/v1/repository?namespace=devspace")
                XCTAssertEqual(viewerList.status, .ok, viewerList.text)
                XCTAssertEqual(OrgKit.names(viewerList.json["repositories"]), ["app"])
                XCTAssertEqual(OrgKit.objects(viewerList.json["repositories"]).first?["description"] as? String, "From Portus")
                let outsiderList = try await quay("outsider").get("/api/v1/repository?namespace=devspace")
                XCTAssertEqual(OrgKit.names(outsiderList.json["repositories"]), [])
                let view = try await quay("viewer").get("/api/v1/repository/devspace/app")
                XCTAssertEqual(view.status, .ok, view.text)
                XCTAssertEqual(view.json["description"] as? String, "From Portus")
                XCTAssertEqual(view.json["can_write"] as? Bool, false, "a viewer reads")
                let contributorView = try await quay("contributor").get("/api/v1/repository/devspace/app")
                XCTAssertEqual(contributorView.json["can_write"] as? Bool, true, "a contributor writes")
                XCTAssertEqual(contributorView.json["can_admin"] as? Bool, false)
                let ownerView = try await quay("owner").get("/api/v1/repository/devspace/app")
                XCTAssertEqual(ownerView.json["can_admin"] as? Bool, true, "an owner administers")

                // The namespace is an organization; the team's roles are organization roles there.
                let asOwner = try await quay("owner").get("/api/v1/organization/devspace")
                XCTAssertEqual(asOwner.status, .ok, asOwner.text)
                XCTAssertEqual(asOwner.json["is_admin"] as? Bool, true)
                let asViewer = try await quay("viewer").get("/api/v1/organization/devspace")
                XCTAssertEqual(asViewer.json["is_member"] as? Bool, true)
                XCTAssertEqual(asViewer.json["is_admin"] as? Bool, false)
                let asOutsider = try await quay("outsider").get("/api/v1/organization/devspace")
                XCTAssertEqual(asOutsider.json["is_member"] as? Bool, false)

                // The Portus team is a team of the `portus-teams` organization.
                let teams = try await quay("viewer").get("/api/v1/organization/portus-teams")
                XCTAssertEqual(teams.status, .ok, teams.text)
                XCTAssertEqual(teams.json["ordered_teams"] as? [String], ["devs"])
                let members = try await quay("viewer").get("/api/v1/organization/portus-teams/team/devs/members")
                XCTAssertEqual(members.status, .ok, members.text)
                XCTAssertEqual(Set(OrgKit.names(members.json["members"])), ["owner", "contributor", "viewer"])
                let renamed = try await world.owner.api.put("/api/v1/teams/\(world.teamID)", ["team": ["name": "developers"]])
                XCTAssertEqual(renamed.status, .ok, renamed.text)
                let renamedTeams = try await quay("viewer").get("/api/v1/organization/portus-teams")
                XCTAssertEqual(renamedTeams.json["ordered_teams"] as? [String], ["developers"])

                // Administrators are superusers, and superusers administrators.
                let superusers = try await quay("root").get("/api/v1/superuser/users/")
                XCTAssertEqual(superusers.status, .ok, "the bootstrapped Portus administrator is a Quay superuser: \(superusers.text)")
                let flags = Dictionary(uniqueKeysWithValues: OrgKit.objects(superusers.json["users"]).compactMap { user in
                    (user["username"] as? String).map { ($0, user["super_user"] as? Bool) }
                })
                XCTAssertEqual(flags["root"], true)
                XCTAssertEqual(flags["owner"], false)
                let notSuper = try await quay("owner").get("/api/v1/superuser/users/")
                XCTAssertEqual(notSuper.status, .forbidden, notSuper.text)
                let configured = try await PortusKit.createUser(world.root.api, "admin")
                let adminView = try await world.root.api.get("/api/v1/users/\(configured.id)")
                XCTAssertEqual(adminView.ordered["admin"]?.bool, true, "SUPER_USERS are Portus administrators")
                let adminUsers = try await configured.api.get("/api/v1/users")
                XCTAssertEqual(adminUsers.status, .ok, adminUsers.text)

                // What the Quay API makes shows in Portus: an organization is a namespace with its `owners` team (hidden).
                try await OrgKit.createOrganization(try await quay("owner"), "quayorg")
                let organization = try await store.account(named: "quayorg")
                let namespace = try await world.owner.api.get("/api/v1/namespaces/\(try XCTUnwrap(organization).id)")
                XCTAssertEqual(namespace.status, .ok, namespace.text)
                XCTAssertEqual(namespace.ordered["name"]?.string, "quayorg")
                XCTAssertEqual(namespace.ordered["team"]?["name"]?.string, "owners")
                XCTAssertEqual(namespace.ordered["team"]?["hidden"]?.bool, true)
                let hiddenFromOthers = try await world.viewer.api.get("/api/v1/namespaces/\(try XCTUnwrap(organization).id)")
                hiddenFromOthers.assertPortus(403, "Authorization fails")
            }
        }
    }

    func testApplicationTokensAreQuayAppSpecificTokens() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let root = try await PortusKit.bootstrap(client, "root")
                let alice = try await PortusKit.createUser(root.api, "alice")
                let account = try await server.server.store.account(named: "alice")
                let quay = try await server.quay(client, as: try XCTUnwrap(account))

                // The Portus token is one of Quay's app-specific tokens, titled with the application's name.
                let listed = try await quay.get("/api/v1/user/apptoken")
                XCTAssertEqual(listed.status, .ok, listed.text)
                let tokens = OrgKit.objects(listed.json["tokens"])
                XCTAssertEqual(tokens.compactMap { $0["title"] as? String }, ["cli"])
                let uuid = try XCTUnwrap(tokens.first?["uuid"] as? String)
                let shown = try await quay.get("/api/v1/user/apptoken/\(uuid)")
                XCTAssertEqual(OrgKit.object(shown.json["token"])["token_code"] as? String, alice.token, "Quay shows the same secret again")

                // A token made with the Quay API works in Portus-Auth and is listed by Portus.
                let made = try await quay.post("/api/v1/user/apptoken", ["title": "from quay"])
                XCTAssertEqual(made.status, .ok, made.text)
                let code = try XCTUnwrap(OrgKit.object(made.json["token"])["token_code"] as? String)
                let viaPortus = try await PortusClient(client: client, auth: "alice:\(code)").get("/api/v1/users/\(alice.id)/application_tokens")
                XCTAssertEqual(viaPortus.status, .ok, viaPortus.text)
                XCTAssertEqual(viaPortus.assertList(PortusShape.applicationToken).compactMap { $0["application"]?.string }, ["cli", "from quay"])

                // Revoked in Quay, refused by Portus; deleted in Portus, gone from Quay.
                let madeUUID = try XCTUnwrap(OrgKit.object(made.json["token"])["uuid"] as? String)
                let revoked = try await quay.delete("/api/v1/user/apptoken/\(madeUUID)")
                XCTAssertEqual(revoked.status, .noContent, revoked.text)
                let refused = try await PortusClient(client: client, auth: "alice:\(code)").get("/api/version")
                refused.assertPortus(401, "Authentication fails")
                let cliID = try XCTUnwrap(viaPortus.ordered.items.first?["id"]?.int)
                let deleted = try await alice.api.delete("/api/v1/users/application_tokens/\(cliID)")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                let remaining = try await quay.get("/api/v1/user/apptoken")
                XCTAssertEqual(OrgKit.objects(remaining.json["tokens"]).count, 0, remaining.text)
                let login = try await client.execute(uri: "/v2/", method: .get, headers: alice.basic)
                XCTAssertEqual(login.status, .unauthorized, "a deleted token is no docker login password either")
            }
        }
    }

    func testPortusActionsAreInTheAuditLog() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                let store = server.server.store
                let viewerMembership = try XCTUnwrap(world.memberships["viewer"])
                _ = try await world.owner.api.put("/api/v1/teams/\(world.teamID)/members/\(viewerMembership)", ["role": "contributor"])
                _ = try await world.owner.api.put("/api/v1/teams/\(world.teamID)", ["team": ["description": "Developers"]])
                try await PortusKit.updateNamespace(world.owner.api, world.namespaceID, ["visibility": "protected", "description": "Ours"])

                let organization = try await store.account(named: "portus-teams")
                let teamEntries = try await store.logEntries(accountID: try XCTUnwrap(organization).id, limit: 100)
                XCTAssertEqual(Set(teamEntries.map(\.kind)), ["team.create", "team.add_member", "team.change_member_role", "team.change_team_description"])
                let roleChange = try XCTUnwrap(teamEntries.first { $0.kind == "team.change_member_role" })
                XCTAssertEqual(roleChange.performerId, world.owner.id)
                let roleMetadata = AuditLogTests.metadata(roleChange)
                XCTAssertEqual(roleMetadata["team_user"] as? String, "viewer")
                XCTAssertEqual(roleMetadata["old_role"] as? String, "viewer")
                XCTAssertEqual(roleMetadata["new_role"] as? String, "contributor")

                let namespaceEntries = try await store.logEntries(accountID: world.namespaceID, limit: 100)
                XCTAssertEqual(Set(namespaceEntries.map(\.kind)),
                               ["namespace.create", "namespace.change_visibility", "namespace.change_namespace_description"])
                let visibility = try XCTUnwrap(namespaceEntries.first { $0.kind == "namespace.change_visibility" })
                XCTAssertEqual(AuditLogTests.metadata(visibility)["visibility"] as? String, "protected")
                XCTAssertEqual(visibility.performerId, world.owner.id)
                XCTAssertNotNil(visibility.ip)
            }
        }
    }

    func testRenamesAndDeletionsReachTheRegistry() async throws {
        try await withEachDatabase { database in
            let server = try await TestServer.make(database: database)
            try await server.run { client in
                let world = try await PortusWorld.make(server, client)
                try await world.push("devspace/app", tag: "v1", as: world.owner)

                let renamed = try await PortusKit.updateNamespace(world.owner.api, world.namespaceID, ["name": "devs2"])
                XCTAssertEqual(renamed.ordered["name"]?.string, "devs2")
                let newName = try await Self.pull(client, "devs2/app", "v1", world.viewer.basic)
                XCTAssertEqual(newName, .ok, "the repositories follow their namespace's name")
                let oldName = try await Self.pull(client, "devspace/app", "v1", world.viewer.basic)
                XCTAssertNotEqual(oldName, .ok)
                let repositories = try await world.viewer.api.get("/api/v1/repositories")
                XCTAssertEqual(repositories.ordered.items.compactMap { $0["full_name"]?.string }, ["devs2/app"])

                // A renamed user's tokens answer to the new name, on /v2 as in Portus-Auth.
                let renamedUser = try await world.root.api.put("/api/v1/users/\(world.viewer.id)", ["user": ["username": "watcher"]])
                XCTAssertEqual(renamedUser.status, .ok, renamedUser.text)
                let asWatcher = try await Self.pull(client, "devs2/app", "v1", .basic("watcher", world.viewer.token))
                XCTAssertEqual(asWatcher, .ok)
                let asViewer = try await Self.pull(client, "devs2/app", "v1", world.viewer.basic)
                XCTAssertEqual(asViewer, .unauthorized)

                // A deleted user's tokens stop working everywhere.
                let deleted = try await world.root.api.delete("/api/v1/users/\(world.contributor.id)")
                XCTAssertEqual(deleted.status, .noContent, deleted.text)
                let login = try await client.execute(uri: "/v2/", method: .get, headers: world.contributor.basic)
                XCTAssertEqual(login.status, .unauthorized)
                let members = try await world.owner.api.get("/api/v1/teams/\(world.teamID)/members")
                XCTAssertEqual(Set(members.ordered.items.compactMap { $0["username"]?.string }), ["owner", "watcher"])
            }
        }
    }
}
