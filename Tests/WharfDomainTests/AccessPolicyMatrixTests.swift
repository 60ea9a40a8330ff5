import Foundation
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// The access policy's answers for repositories, as tables: each row is a caller, a repository and the
/// registry actions the policy grants (and so what `/v2`, `/v2/auth`, the Quay API and the Portus API
/// allow, each mapping a refusal to its own status).
final class AccessPolicyMatrixTests: XCTestCase {
    /// The world the tables are read in: `alice` owns her namespace; `bob` reads and `carol` writes
    /// `alice/app`; `dave` holds nothing; `alice/site` is public and `alice/frozen` read-only; the
    /// namespace `portus` is owned by a team where `owner`, `contributor` and `viewer` hold those roles.
    struct World {
        let store: MetadataStore
        let users: [String: AccountRecord]
        let repositories: [String: RepositoryRecord]

        func identity(_ name: String, scopes: Set<Scope>? = nil, superuser: Bool = false) -> Identity {
            guard let account = users[name] else { return .anonymous }
            return Identity(kind: scopes == nil ? .user : .oauthToken, account: account, scopes: scopes, isSuperuser: superuser)
        }

        static func make(_ store: MetadataStore) async throws -> World {
            var users: [String: AccountRecord] = [:]
            for name in ["alice", "bob", "carol", "dave", "owner", "contributor", "viewer", "root"] {
                users[name] = try await store.createUser(username: name, email: nil, passwordHash: nil)
            }
            let alice = users["alice"]!
            var repositories: [String: RepositoryRecord] = [:]
            repositories["alice/app"] = try await store.createRepository(namespaceID: alice.id, name: "app", visibility: .private)
            repositories["alice/site"] = try await store.createRepository(namespaceID: alice.id, name: "site", visibility: .public)
            try await store.setPermission(repositoryID: repositories["alice/app"]!.id, accountID: users["bob"]!.id, role: .read)
            try await store.setPermission(repositoryID: repositories["alice/app"]!.id, accountID: users["carol"]!.id, role: .write)
            let frozen = try await store.createRepository(namespaceID: alice.id, name: "frozen", visibility: .private)
            try await store.transaction { tx in try await tx.setState(repositoryID: frozen.id, .readOnly) }

            let owners = try await store.createOrganization(name: "portus-teams", email: nil, creatorID: nil)
            let team = try await store.transaction { tx in
                try await tx.createTeam(organizationID: owners.id, name: "devs", role: .member, description: "", ownerID: users["owner"]!.id,
                                        ownerRole: .owner)
            }
            let devs = try XCTUnwrap(team)
            try await store.addTeamMember(teamID: devs.id, accountID: users["contributor"]!.id, role: .contributor)
            try await store.addTeamMember(teamID: devs.id, accountID: users["viewer"]!.id, role: .viewer)
            let namespace = try await store.createOrganization(name: "portus", email: nil, creatorID: nil, ownerTeamID: devs.id)
            _ = try await store.createRepository(namespaceID: namespace.id, name: "image", visibility: .private)
            for name in ["alice/app", "alice/site", "alice/frozen", "portus/image"] {
                let parts = name.split(separator: "/").map(String.init)
                repositories[name] = try await store.repository(namespace: parts[0], name: parts[1])
            }
            return World(store: store, users: users, repositories: repositories)
        }
    }

    struct Row {
        let caller: Identity
        let repository: String
        let actions: Set<RepositoryAction>
        let line: UInt
    }

    func check(_ rows: [Row], in world: World, policy: AccessPolicy, _ label: String) async throws {
        for row in rows {
            let repository = try XCTUnwrap(world.repositories[row.repository])
            let grant = try await policy.grant(to: row.caller, on: repository)
            XCTAssertEqual(grant.actions, row.actions, "\(label): \(row.caller.account?.username ?? "anonymous") on \(row.repository)",
                           line: row.line)
        }
    }

    func testRepositoryActionsFollowRolesScopesStateAndTheDeleteSwitches() async throws {
        try await withEachTestStore { store, _, _ in
            let world = try await World.make(store)
            let all: Set<RepositoryAction> = [.pull, .push, .delete, .all]
            func row(_ caller: Identity, _ repository: String, _ actions: Set<RepositoryAction>, line: UInt = #line) -> Row {
                Row(caller: caller, repository: repository, actions: actions, line: line)
            }
            let w = world
            try await check([
                row(w.identity("alice"), "alice/app", all),
                row(w.identity("bob"), "alice/app", [.pull]),
                row(w.identity("carol"), "alice/app", [.pull, .push, .delete]),
                row(w.identity("dave"), "alice/app", []),
                row(.anonymous, "alice/app", []),
                row(.anonymous, "alice/site", [.pull]),
                row(w.identity("dave"), "alice/site", [.pull]),
                row(w.identity("alice", scopes: [.repoRead]), "alice/app", [.pull]),
                row(w.identity("alice", scopes: [.repoWrite]), "alice/app", [.pull, .push, .delete]),
                row(w.identity("alice", scopes: [.userRead]), "alice/app", []),
                row(w.identity("alice"), "alice/frozen", [.pull]),
                row(w.identity("root", superuser: true), "alice/app", []),
                row(w.identity("owner"), "portus/image", all),
                row(w.identity("contributor"), "portus/image", [.pull, .push]),
                row(w.identity("viewer"), "portus/image", [.pull]),
                row(w.identity("alice"), "portus/image", []),
            ], in: world, policy: AccessPolicy(store: store), "default switches")

            var contributorsDelete = PortusRules()
            contributorsDelete.deleteContributors = true
            try await check([
                row(w.identity("contributor"), "portus/image", [.pull, .push, .delete]),
                row(w.identity("carol"), "alice/app", [.pull, .push, .delete]),
            ], in: world, policy: AccessPolicy(store: store, rules: contributorsDelete), "delete.contributors")

            var noDeletes = PortusRules()
            noDeletes.deleteEnabled = false
            try await check([
                row(w.identity("owner"), "portus/image", [.pull, .push, .all]),
                row(w.identity("alice"), "alice/app", all),
            ], in: world, policy: AccessPolicy(store: store, rules: noDeletes), "delete disabled (binds team-owned namespaces only)")

            try await check([
                row(w.identity("root", superuser: true), "alice/app", all),
                row(w.identity("root", scopes: [.repoRead], superuser: true), "alice/app", []),
                row(w.identity("root", scopes: [.repoRead, .superUser], superuser: true), "alice/app", all),
            ], in: world, policy: AccessPolicy(store: store, superusersFullAccess: true), "FEATURE_SUPERUSERS_FULL_ACCESS")

            let policy = AccessPolicy(store: store)
            let app = try XCTUnwrap(world.repositories["alice/app"])
            XCTAssertEqual(policy.grant(toTokenActions: ["push"], on: app).actions, [.push, .delete], "push implies delete in Quay's namespaces")
            let image = try XCTUnwrap(world.repositories["portus/image"])
            XCTAssertEqual(policy.grant(toTokenActions: ["push"], on: image).actions, [.push], "an owning team's namespace needs delete named")
            let frozen = try XCTUnwrap(world.repositories["alice/frozen"])
            XCTAssertEqual(policy.grant(toTokenActions: ["*"], on: frozen).actions, [.pull], "a read-only repository takes no change, whatever the token")
            let rootGrant = try await policy.portusGrant(to: world.identity("root", superuser: true), on: app)
            XCTAssertEqual(rootGrant.actions, all, "Portus's administrators may do everything through the Portus API")
        }
    }
}
