import Foundation
import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

final class ScopeTests: XCTestCase {
    func testParseSpaceSeparated() {
        XCTAssertEqual(Scope.parseList("repo:read repo:write"), [.repoRead, .repoWrite])
        XCTAssertEqual(Scope.parseList("super:user"), [.superUser])
    }

    func testParseCommaSeparated() {
        XCTAssertEqual(Scope.parseList("repo:read,user:admin"), [.repoRead, .userAdmin])
        XCTAssertEqual(Scope.parseList("repo:read, repo:create ,org:admin"), [.repoRead, .repoCreate, .orgAdmin])
        XCTAssertEqual(Scope.parseList("  repo:admin  "), [.repoAdmin])
    }

    func testParseDuplicates() {
        XCTAssertEqual(Scope.parseList("repo:read repo:read,repo:read"), [.repoRead])
    }

    func testEmptyList() {
        XCTAssertEqual(Scope.parseList(""), [])
        XCTAssertEqual(Scope.parseList(" , "), [])
    }

    func testUnknownScopeEmptiesTheSet() {
        XCTAssertEqual(Scope.parseList("repo:read repo:bogus"), [])
        XCTAssertEqual(Scope.parseList("bogus repo:read repo:write"), [])
        XCTAssertEqual(Scope.parseList("REPO:READ"), [], "scope names are case-sensitive")
        XCTAssertEqual(Scope.parseList("repo:read;repo:write"), [], "semicolon is not a separator")
    }

    func testRenderIsSorted() {
        XCTAssertEqual(Scope.render([.userRead, .repoWrite, .repoAdmin]), "repo:admin repo:write user:read")
        XCTAssertEqual(Scope.render([.superUser, .orgAdmin]), "org:admin super:user")
        XCTAssertEqual(Scope.render([]), "")
        let all = Set(Scope.allCases)
        XCTAssertEqual(Scope.render(all),
                       "org:admin repo:admin repo:create repo:read repo:write super:user user:admin user:read")
    }

    func testRenderParseRoundTrip() {
        let all = Set(Scope.allCases)
        XCTAssertEqual(Scope.parseList(Scope.render(all)), all)
        for scope in Scope.allCases {
            XCTAssertEqual(Scope.parseList(Scope.render([scope])), [scope])
        }
    }
}

final class SecretsTests: XCTestCase {
    func testConstantTimeEquals() {
        XCTAssertTrue(Secrets.constantTimeEquals("", ""))
        XCTAssertTrue(Secrets.constantTimeEquals("abc", "abc"))
        XCTAssertFalse(Secrets.constantTimeEquals("abc", "abd"))
        XCTAssertFalse(Secrets.constantTimeEquals("abc", "Abc"))
        XCTAssertFalse(Secrets.constantTimeEquals("abc", "abcd"))
        XCTAssertFalse(Secrets.constantTimeEquals("abcd", "abc"))
        XCTAssertFalse(Secrets.constantTimeEquals("", "a"))
        // Compared as bytes: precomposed and decomposed é differ.
        XCTAssertFalse(Secrets.constantTimeEquals("\u{E9}", "e\u{301}"))
        XCTAssertTrue(Secrets.constantTimeEquals("h\u{E9}llo", "h\u{E9}llo"))
    }

    func testRandomTokenLengthAndAlphabet() {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        for length in [0, 1, 20, 40, 64, 500] {
            let token = Secrets.randomToken(length: length)
            XCTAssertEqual(token.count, length)
            XCTAssertEqual(token.utf8.count, length)
            XCTAssertTrue(token.allSatisfy(alphabet.contains), token)
        }
    }

    func testRandomTokensAreUniqueAndUseTheWholeAlphabet() {
        var seen = Set<String>()
        var characters = Set<Character>()
        for _ in 0..<1000 {
            let token = Secrets.randomToken(length: 40)
            seen.insert(token)
            characters.formUnion(token)
        }
        XCTAssertEqual(seen.count, 1000)
        // 40 000 draws from 62 symbols: every symbol shows up.
        XCTAssertEqual(characters.count, 62)
    }

    func testSHA256Hex() {
        XCTAssertEqual(Secrets.sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(Secrets.sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testPasswordHashRoundTrip() async throws {
        let hash = try await Secrets.hashPassword("correct horse")
        XCTAssertTrue(hash.hasPrefix("$2"), hash)
        XCTAssertTrue(hash.contains("$\(Secrets.bcryptCost)$"), "cost \(Secrets.bcryptCost) in \(hash)")
        XCTAssertEqual(hash.count, 60)
        let right = try await Secrets.verifyPassword("correct horse", hash: hash)
        XCTAssertTrue(right)
        let wrong = try await Secrets.verifyPassword("correct horsf", hash: hash)
        XCTAssertFalse(wrong)
        let empty = try await Secrets.verifyPassword("", hash: hash)
        XCTAssertFalse(empty)
    }

    func testPasswordHashesAreSalted() async throws {
        let first = try await Secrets.hashPassword("same password")
        let second = try await Secrets.hashPassword("same password")
        XCTAssertNotEqual(first, second)
        let firstOK = try await Secrets.verifyPassword("same password", hash: first)
        let secondOK = try await Secrets.verifyPassword("same password", hash: second)
        XCTAssertTrue(firstOK)
        XCTAssertTrue(secondOK)
    }

    func testVerifyAgainstGarbageHashIsFalse() async throws {
        let result = try await Secrets.verifyPassword("password1", hash: "not a bcrypt hash")
        XCTAssertFalse(result)
    }
}

final class AccountRulesTests: XCTestCase {
    func assertInvalidUsername(_ name: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            try AccountRules.validateUsername(name)
            XCTFail("\(name) was accepted", file: file, line: line)
        } catch {
            guard case .invalid(let message) = error else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertTrue(message.contains("Namespace must match expression"), message, file: file, line: line)
        }
    }

    func testValidUsernames() {
        let names = ["ab", "alice", "a1", "00", "a.b", "a_b", "a-b", "john.doe-2_x", "a.b.c.d",
                     String(repeating: "a", count: 255)]
        for name in names {
            XCTAssertNoThrow(try AccountRules.validateUsername(name), name)
        }
    }

    func testInvalidUsernames() {
        let names = ["", "a", "Alice", "aB", "a..b", "a__b", "a--b", "a._b", ".ab", "ab.", "_ab", "ab-",
                     "a b", "a/b", "a@b", "a+b", "é1", String(repeating: "a", count: 256), "$oauthtoken"]
        for name in names { assertInvalidUsername(name) }
    }

    func testPasswords() {
        XCTAssertThrowsError(try AccountRules.validatePassword("")) { error in
            XCTAssertEqual(error as? AccountError, .invalid("Password must be at least 8 characters long"))
        }
        XCTAssertThrowsError(try AccountRules.validatePassword("1234567")) { error in
            XCTAssertEqual(error as? AccountError, .invalid("Password must be at least 8 characters long"))
        }
        XCTAssertNoThrow(try AccountRules.validatePassword("12345678"))
        XCTAssertNoThrow(try AccountRules.validatePassword("pass word with spaces"))
        XCTAssertNoThrow(try AccountRules.validatePassword(String(repeating: "x", count: 72)))
        XCTAssertThrowsError(try AccountRules.validatePassword(String(repeating: "x", count: 73))) { error in
            XCTAssertEqual(error as? AccountError, .invalid("Password must be at most 72 bytes long"))
        }
        XCTAssertThrowsError(try AccountRules.validatePassword(String(repeating: "é", count: 37)), "72 bytes, not 72 characters")
    }

    func testEmails() {
        for email in ["a@b.c", "user@example.com", "first.last+tag@sub.example.org"] {
            XCTAssertNoThrow(try AccountRules.validateEmail(email), email)
        }
        for email in ["", "ab", "a@b", "@b.c", "a@@b.c", "a@b@c.d", "a b@c.d", "a@b .c", "a@"] {
            XCTAssertThrowsError(try AccountRules.validateEmail(email), email) { error in
                XCTAssertEqual(error as? AccountError, .invalid("Invalid email address: \(email)"))
            }
        }
    }
}

final class IdentityTests: XCTestCase {
    func identity(_ scopes: Set<Scope>?) -> Identity {
        Identity(kind: scopes == nil ? .user : .oauthToken, account: nil, scopes: scopes, isSuperuser: false)
    }

    func testRepositoryRoleCap() {
        XCTAssertEqual(identity(nil).repositoryRoleCap, .admin, "unscoped credentials are not capped")
        XCTAssertNil(identity([]).repositoryRoleCap)
        XCTAssertEqual(identity([.repoRead]).repositoryRoleCap, .read)
        XCTAssertEqual(identity([.repoWrite]).repositoryRoleCap, .write)
        XCTAssertEqual(identity([.repoRead, .repoWrite]).repositoryRoleCap, .write)
        XCTAssertEqual(identity([.repoAdmin]).repositoryRoleCap, .admin)
        XCTAssertEqual(identity([.repoRead, .repoAdmin, .userRead]).repositoryRoleCap, .admin)
        XCTAssertNil(identity([.repoCreate]).repositoryRoleCap)
        XCTAssertNil(identity([.userRead, .userAdmin, .orgAdmin, .superUser]).repositoryRoleCap)
    }

    func testAllows() {
        XCTAssertTrue(identity(nil).allows(.superUser))
        XCTAssertTrue(identity([.repoRead]).allows(.repoRead))
        XCTAssertFalse(identity([.repoRead]).allows(.repoWrite))
        XCTAssertFalse(identity([]).allows(.repoRead))
    }

    func testAnonymous() {
        let anonymous = Identity.anonymous
        XCTAssertTrue(anonymous.isAnonymous)
        XCTAssertEqual(anonymous.kind, .anonymous)
        XCTAssertEqual(anonymous.subject, "(anonymous)")
        XCTAssertNil(anonymous.repositoryRoleCap)
        XCTAssertFalse(anonymous.allows(.repoRead))
        XCTAssertFalse(anonymous.isSuperuser)
    }

    func testKindRawValues() {
        XCTAssertEqual(Identity.Kind.user.rawValue, "user")
        XCTAssertEqual(Identity.Kind.oauthToken.rawValue, "oauthtoken")
        XCTAssertEqual(Identity.Kind.anonymous.rawValue, "anonymous")
    }
}
