import Foundation
import Logging
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

/// Opens a fresh SQLite metadata store in a temporary directory for the duration of `body`.
func withTemporaryStore(_ body: (MetadataStore, _ directory: String) async throws -> Void) async throws {
    let directory = NSTemporaryDirectory() + "wharf-identity-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var logger = Logger(label: "wharf-identity-test")
    logger.logLevel = .warning
    let store = try await MetadataStore.open(uri: nil, defaultSQLitePath: directory + "/wharf.db", logger: logger)
    do {
        try await body(store, directory)
    } catch {
        try? await store.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
        throw error
    }
    try await store.shutdown()
    try? FileManager.default.removeItem(atPath: directory)
}

final class AccessPolicyRoleTests: XCTestCase {
    func user(_ account: AccountRecord, scopes: Set<Scope>? = nil) -> Identity {
        Identity(kind: scopes == nil ? .user : .oauthToken, account: account, scopes: scopes, isSuperuser: false)
    }

    func testOwnerOthersAndAnonymousOnPrivateAndPublicRepositories() async throws {
        try await withTemporaryStore { store, _ in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let bob = try await store.createUser(username: "bob", email: nil, passwordHash: nil)
            let privateRepo = try await store.createRepository(namespaceID: alice.id, name: "secret", visibility: .private, creatorID: alice.id)
            let publicRepo = try await store.createRepository(namespaceID: alice.id, name: "open", visibility: .public, creatorID: alice.id)
            XCTAssertEqual(publicRepo.visibility, .public)
            XCTAssertEqual(privateRepo.visibility, .private)
            let resolver = AccessPolicy(store: store)

            let ownerPrivate = try await resolver.role(of: user(alice), on: privateRepo)
            XCTAssertEqual(ownerPrivate, .admin)
            let ownerPublic = try await resolver.role(of: user(alice), on: publicRepo)
            XCTAssertEqual(ownerPublic, .admin)

            let otherPrivate = try await resolver.role(of: user(bob), on: privateRepo)
            XCTAssertNil(otherPrivate)
            let otherPublic = try await resolver.role(of: user(bob), on: publicRepo)
            XCTAssertEqual(otherPublic, .read)

            let anonymousPrivate = try await resolver.role(of: .anonymous, on: privateRepo)
            XCTAssertNil(anonymousPrivate)
            let anonymousPublic = try await resolver.role(of: .anonymous, on: publicRepo)
            XCTAssertEqual(anonymousPublic, .read)
        }
    }

    func testOwnerWithoutExplicitPermissionIsStillAdmin() async throws {
        try await withTemporaryStore { store, _ in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let repo = try await store.createRepository(namespaceID: alice.id, name: "app", visibility: .private, creatorID: nil)
            let explicit = try await store.explicitRole(accountID: alice.id, repositoryID: repo.id)
            XCTAssertNil(explicit)
            let role = try await AccessPolicy(store: store).role(of: user(alice), on: repo)
            XCTAssertEqual(role, .admin, "the namespace owner administers its repositories")
        }
    }

    func testExplicitPermissionOnAnothersRepository() async throws {
        try await withTemporaryStore { store, _ in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let bob = try await store.createUser(username: "bob", email: nil, passwordHash: nil)
            // Bob created a repository in Alice's namespace, so he holds an explicit admin permission on it.
            let repo = try await store.createRepository(namespaceID: alice.id, name: "shared", visibility: .private, creatorID: bob.id)
            let resolver = AccessPolicy(store: store)
            let bobRole = try await resolver.role(of: user(bob), on: repo)
            XCTAssertEqual(bobRole, .admin)
            let bobRead = try await resolver.role(of: user(bob, scopes: [.repoRead]), on: repo)
            XCTAssertEqual(bobRead, .read)
            let bobWrite = try await resolver.role(of: user(bob, scopes: [.repoWrite, .repoRead]), on: repo)
            XCTAssertEqual(bobWrite, .write)
            let bobNone = try await resolver.role(of: user(bob, scopes: [.userRead]), on: repo)
            XCTAssertNil(bobNone)
        }
    }

    func testScopesCapTheOwnersRole() async throws {
        try await withTemporaryStore { store, _ in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let privateRepo = try await store.createRepository(namespaceID: alice.id, name: "secret", visibility: .private, creatorID: alice.id)
            let publicRepo = try await store.createRepository(namespaceID: alice.id, name: "open", visibility: .public, creatorID: alice.id)
            let resolver = AccessPolicy(store: store)

            let read = try await resolver.role(of: user(alice, scopes: [.repoRead]), on: privateRepo)
            XCTAssertEqual(read, .read)
            let write = try await resolver.role(of: user(alice, scopes: [.repoWrite]), on: privateRepo)
            XCTAssertEqual(write, .write)
            let admin = try await resolver.role(of: user(alice, scopes: [.repoAdmin]), on: privateRepo)
            XCTAssertEqual(admin, .admin)
            let none = try await resolver.role(of: user(alice, scopes: [.userRead]), on: privateRepo)
            XCTAssertNil(none, "no repo scope: no role on a private repository")
            let empty = try await resolver.role(of: user(alice, scopes: []), on: privateRepo)
            XCTAssertNil(empty)
            let publicNone = try await resolver.role(of: user(alice, scopes: [.userRead]), on: publicRepo)
            XCTAssertEqual(publicNone, .read, "public repositories are readable whatever the scopes")
        }
    }

    func testMayCreateRepository() async throws {
        try await withTemporaryStore { store, _ in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let bob = try await store.createUser(username: "bob", email: nil, passwordHash: nil)
            let resolver = AccessPolicy(store: store)
            let allowed = try await resolver.mayCreateRepository(user(alice), in: alice)
            XCTAssertTrue(allowed)
            let bobInAlice = try await resolver.mayCreateRepository(user(bob), in: alice)
            XCTAssertFalse(bobInAlice)
            let anonymous = try await resolver.mayCreateRepository(.anonymous, in: alice)
            XCTAssertFalse(anonymous)
            // As in Quay, creating needs the team role `creator`: scopes repo:create or org:admin.
            for (scopes, expected) in [([Scope.repoCreate], true), ([.orgAdmin], true), ([.repoWrite], false), ([.repoAdmin], false),
                                       ([.repoRead], false), ([], false)] {
                let mayCreate = try await resolver.mayCreateRepository(user(alice, scopes: Set(scopes)), in: alice)
                XCTAssertEqual(mayCreate, expected, "\(scopes)")
            }
        }
    }
}

final class AuthenticatorTests: XCTestCase {
    func testPasswordAuthentication() async throws {
        try await withTemporaryStore { store, _ in
            let accounts = AccountService(store: store)
            let alice = try await accounts.createUser(username: "alice", password: "password1", email: "alice@example.com")
            XCTAssertEqual(alice.email, "alice@example.com")
            XCTAssertNotEqual(alice.passwordHash, "password1", "only a hash is stored")
            let authenticator = Authenticator(store: store, superUsers: ["root"])

            let identity = try await authenticator.authenticate(username: "alice", password: "password1")
            let unwrapped = try XCTUnwrap(identity)
            XCTAssertEqual(unwrapped.kind, .user)
            XCTAssertEqual(unwrapped.account?.id, alice.id)
            XCTAssertEqual(unwrapped.subject, "alice")
            XCTAssertNil(unwrapped.scopes, "a password login is not scoped")
            XCTAssertEqual(unwrapped.repositoryRoleCap, .admin)
            XCTAssertFalse(unwrapped.isSuperuser)

            // A second time (served from the cache) gives the same answer.
            let again = try await authenticator.authenticate(username: "alice", password: "password1")
            XCTAssertEqual(again?.account?.id, alice.id)

            let wrong = try await authenticator.authenticate(username: "alice", password: "password2")
            XCTAssertNil(wrong)
            let empty = try await authenticator.authenticate(username: "alice", password: "")
            XCTAssertNil(empty)
            let unknown = try await authenticator.authenticate(username: "nobody", password: "password1")
            XCTAssertNil(unknown)
            let caseChanged = try await authenticator.authenticate(username: "Alice", password: "password1")
            XCTAssertNil(caseChanged)
        }
    }

    func testAccountWithoutPasswordCannotLogIn() async throws {
        try await withTemporaryStore { store, _ in
            _ = try await store.createUser(username: "nopass", email: nil, passwordHash: nil)
            let authenticator = Authenticator(store: store, superUsers: [])
            let result = try await authenticator.authenticate(username: "nopass", password: "")
            XCTAssertNil(result)
            let other = try await authenticator.authenticate(username: "nopass", password: "password1")
            XCTAssertNil(other)
        }
    }

    func testSuperusers() async throws {
        try await withTemporaryStore { store, _ in
            let accounts = AccountService(store: store)
            _ = try await accounts.createUser(username: "root", password: "password1", email: nil)
            _ = try await accounts.createUser(username: "alice", password: "password1", email: nil)
            let authenticator = Authenticator(store: store, superUsers: ["root"])
            XCTAssertTrue(authenticator.isSuperuser("root"))
            XCTAssertFalse(authenticator.isSuperuser("alice"))
            let root = try await authenticator.authenticate(username: "root", password: "password1")
            XCTAssertEqual(root?.isSuperuser, true)
            let alice = try await authenticator.authenticate(username: "alice", password: "password1")
            XCTAssertEqual(alice?.isSuperuser, false)
        }
    }

    func testAccountServiceValidation() async throws {
        try await withTemporaryStore { store, _ in
            let accounts = AccountService(store: store)
            _ = try await accounts.createUser(username: "alice", password: "password1", email: nil)
            do {
                _ = try await accounts.createUser(username: "alice", password: "password1", email: nil)
                XCTFail("a second alice was created")
            } catch let error as AccountError {
                XCTAssertEqual(error, .alreadyExists("A user or organization with this name already exists"))
            }
            do {
                _ = try await accounts.createUser(username: "Bad Name", password: "password1", email: nil)
                XCTFail("an invalid name was accepted")
            } catch let error as AccountError {
                guard case .invalid = error else { return XCTFail("\(error)") }
            }
            do {
                _ = try await accounts.createUser(username: "bob", password: "short", email: nil)
                XCTFail("a short password was accepted")
            } catch let error as AccountError {
                XCTAssertEqual(error, .invalid("Password must be at least 8 characters long"))
            }
            do {
                _ = try await accounts.createUser(username: "bob", password: "password1", email: "not-an-email")
                XCTFail("an invalid e-mail was accepted")
            } catch let error as AccountError {
                XCTAssertEqual(error, .invalid("Invalid email address: not-an-email"))
            }
            let bob = try await store.account(named: "bob")
            XCTAssertNil(bob, "nothing was stored for the refused accounts")
        }
    }

    func testOAuthTokenAuthenticatesDirectlyAndAsOAuthTokenUser() async throws {
        try await withTemporaryStore { store, _ in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let authenticator = Authenticator(store: store, superUsers: [])
            let token = try await authenticator.mintOAuthToken(for: alice, scopes: [.repoRead, .repoWrite], lifetime: 3600, by: nil)
            XCTAssertEqual(token.count, 40)
            XCTAssertTrue(token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }, token)

            // Only a hash of the secret half is stored, under the public half.
            let record = try await store.accessToken(named: String(token.prefix(20)))
            let stored = try XCTUnwrap(record)
            XCTAssertEqual(stored.tokenCodeHash, Secrets.sha256Hex(String(token.suffix(20))))
            XCTAssertEqual(stored.scopes, "repo:read repo:write")
            XCTAssertEqual(stored.accountId, alice.id)
            let expires = try XCTUnwrap(stored.expiresMs)
            XCTAssertEqual(Double(expires - MetadataStore.nowMs()), 3_600_000, accuracy: 60_000)

            let direct = try await authenticator.authenticate(oauthToken: token)
            let identity = try XCTUnwrap(direct)
            XCTAssertEqual(identity.kind, .oauthToken)
            XCTAssertEqual(identity.account?.id, alice.id)
            XCTAssertEqual(identity.scopes, [.repoRead, .repoWrite])
            XCTAssertEqual(identity.repositoryRoleCap, .write)
            XCTAssertEqual(identity.subject, "alice")

            let basic = try await authenticator.authenticate(username: "$oauthtoken", password: token)
            let viaBasic = try XCTUnwrap(basic)
            XCTAssertEqual(viaBasic.kind, .oauthToken)
            XCTAssertEqual(viaBasic.account?.id, alice.id)
            XCTAssertEqual(viaBasic.scopes, [.repoRead, .repoWrite])
        }
    }

    func testReadOnlyTokenCapsTheRoleAtRead() async throws {
        try await withTemporaryStore { store, _ in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let repo = try await store.createRepository(namespaceID: alice.id, name: "app", visibility: .private, creatorID: alice.id)
            let authenticator = Authenticator(store: store, superUsers: [])
            let resolver = AccessPolicy(store: store)
            let token = try await authenticator.mintOAuthToken(for: alice, scopes: [.repoRead], lifetime: nil, by: nil)

            let record = try await store.accessToken(named: String(token.prefix(20)))
            XCTAssertNil(record?.expiresMs, "no lifetime: no expiry")

            let identity = try await authenticator.authenticate(oauthToken: token)
            XCTAssertEqual(identity?.scopes, [.repoRead])
            XCTAssertEqual(identity?.repositoryRoleCap, .read)
            let role = try await resolver.role(of: XCTUnwrap(identity), on: repo)
            XCTAssertEqual(role, .read, "the owner's admin role is capped by the token")
            let mayCreate = try await resolver.mayCreateRepository(try XCTUnwrap(identity), in: alice)
            XCTAssertFalse(mayCreate)

            let viaBasic = try await authenticator.authenticate(username: "$oauthtoken", password: token)
            let basicRole = try await resolver.role(of: XCTUnwrap(viaBasic), on: repo)
            XCTAssertEqual(basicRole, .read)
        }
    }

    func testTokenWithoutRepoScopesGetsNoRepositoryRole() async throws {
        try await withTemporaryStore { store, _ in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let repo = try await store.createRepository(namespaceID: alice.id, name: "app", visibility: .private, creatorID: alice.id)
            let authenticator = Authenticator(store: store, superUsers: [])
            let token = try await authenticator.mintOAuthToken(for: alice, scopes: [.userRead], lifetime: 60, by: nil)
            let identity = try await authenticator.authenticate(oauthToken: token)
            XCTAssertEqual(identity?.scopes, [.userRead])
            let role = try await AccessPolicy(store: store).role(of: XCTUnwrap(identity), on: repo)
            XCTAssertNil(role)
        }
    }

    func testWrongTokensAreRefused() async throws {
        try await withTemporaryStore { store, _ in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let authenticator = Authenticator(store: store, superUsers: [])
            let token = try await authenticator.mintOAuthToken(for: alice, scopes: [.repoAdmin], lifetime: 3600, by: nil)

            // Same lookup name, different secret.
            let last = token.last!
            let wrongSecret = String(token.dropLast()) + (last == "A" ? "B" : "A")
            let secret = try await authenticator.authenticate(oauthToken: wrongSecret)
            XCTAssertNil(secret)
            // Different lookup name, same secret.
            let first = token.first!
            let wrongName = (first == "A" ? "B" : "A") + String(token.dropFirst())
            let name = try await authenticator.authenticate(oauthToken: wrongName)
            XCTAssertNil(name)
            let random = try await authenticator.authenticate(oauthToken: Secrets.randomToken(length: 40))
            XCTAssertNil(random)
            let short = try await authenticator.authenticate(oauthToken: String(token.dropLast()))
            XCTAssertNil(short)
            let long = try await authenticator.authenticate(oauthToken: token + "x")
            XCTAssertNil(long)
            let empty = try await authenticator.authenticate(oauthToken: "")
            XCTAssertNil(empty)
            let basic = try await authenticator.authenticate(username: "$oauthtoken", password: wrongSecret)
            XCTAssertNil(basic)
            // The token is not a password of its owner.
            let asPassword = try await authenticator.authenticate(username: "alice", password: token)
            XCTAssertNil(asPassword)

            // The right token still works after all those failures.
            let right = try await authenticator.authenticate(oauthToken: token)
            XCTAssertEqual(right?.account?.id, alice.id)
        }
    }

    func testExpiredTokenIsRefused() async throws {
        try await withTemporaryStore { store, _ in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let authenticator = Authenticator(store: store, superUsers: [])
            let token = try await authenticator.mintOAuthToken(for: alice, scopes: [.repoRead], lifetime: -1, by: nil)
            let record = try await store.accessToken(named: String(token.prefix(20)))
            XCTAssertNotNil(record, "the token was stored")
            let direct = try await authenticator.authenticate(oauthToken: token)
            XCTAssertNil(direct)
            let basic = try await authenticator.authenticate(username: "$oauthtoken", password: token)
            XCTAssertNil(basic)
        }
    }

    func testTokensOfDifferentUsersAreKeptApart() async throws {
        try await withTemporaryStore { store, _ in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let bob = try await store.createUser(username: "bob", email: nil, passwordHash: nil)
            let authenticator = Authenticator(store: store, superUsers: ["bob"])
            let aliceToken = try await authenticator.mintOAuthToken(for: alice, scopes: [.repoRead], lifetime: 3600, by: nil)
            let bobToken = try await authenticator.mintOAuthToken(for: bob, scopes: [.repoAdmin, .superUser], lifetime: 3600, by: nil)
            XCTAssertNotEqual(aliceToken, bobToken)
            let a = try await authenticator.authenticate(oauthToken: aliceToken)
            let b = try await authenticator.authenticate(oauthToken: bobToken)
            XCTAssertEqual(a?.subject, "alice")
            XCTAssertEqual(a?.isSuperuser, false)
            XCTAssertEqual(b?.subject, "bob")
            XCTAssertEqual(b?.isSuperuser, true)
            XCTAssertEqual(b?.scopes, [.repoAdmin, .superUser])
        }
    }
}
