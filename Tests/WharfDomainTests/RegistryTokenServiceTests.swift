import Foundation
import JWTKit
@testable import WharfDomain
import WharfMetadata
import WharfTestSupport
import XCTest

final class RegistryTokenServiceTests: XCTestCase {
    static let issuer = "quay"
    static let audience = "registry.example.com"

    func service(_ store: MetadataStore, keyPath: String, issuer: String = issuer,
                 audience: String = audience) async throws -> RegistryTokenService {
        try await RegistryTokenService(keyPath: keyPath, issuer: issuer, audience: audience, store: store)
    }

    func userIdentity(_ account: AccountRecord) -> Identity {
        Identity(kind: .user, account: account, scopes: nil, isSuperuser: false)
    }

    let pullPush = [RegistryAccess(type: "repository", name: "alice/app", actions: ["pull", "push"])]

    /// Base64url without padding.
    func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    func decodeBase64URL(_ part: Substring) -> Data? {
        var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    /// Signs `claims` with the private key stored at `keyPath`, under `kid`.
    func sign(_ claims: RegistryClaims, keyPath: String, kid: String) async throws -> String {
        let pem = try String(contentsOfFile: keyPath, encoding: .utf8)
        let keys = JWTKeyCollection()
        await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: pem), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    }

    func claims(issuedAt: Date, lifetime: TimeInterval, issuer: String = issuer, audience: String = audience) -> RegistryClaims {
        RegistryClaims(iss: .init(value: issuer), aud: .init(value: [audience]), sub: .init(value: "alice"),
                       iat: .init(value: issuedAt), nbf: .init(value: issuedAt), exp: .init(value: issuedAt.addingTimeInterval(lifetime)),
                       access: pullPush,
                       context: RegistryTokenContext(version: 2, entityKind: "user", entityReference: nil, kind: "user", user: "alice"))
    }

    // MARK: Round trips

    func testIssueVerifyRoundTrip() async throws {
        try await withTemporaryStore { store, directory in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let tokens = try await service(store, keyPath: directory + "/keys/a.pem")
            XCTAssertEqual(tokens.issuer, Self.issuer)
            XCTAssertEqual(tokens.audience, Self.audience)
            XCTAssertEqual(tokens.lifetime, 3600)

            let token = try await tokens.issue(for: userIdentity(alice), access: pullPush)
            XCTAssertEqual(token.split(separator: ".").count, 3)
            let verified = try await tokens.verify(token)
            let claims = try XCTUnwrap(verified)
            XCTAssertEqual(claims.sub.value, "alice")
            XCTAssertEqual(claims.iss.value, Self.issuer)
            XCTAssertEqual(claims.aud.value, [Self.audience])
            XCTAssertEqual(claims.access, pullPush)
            XCTAssertEqual(claims.actions(onRepository: "alice/app"), ["pull", "push"])
            XCTAssertEqual(claims.actions(onRepository: "alice/other"), [])
            XCTAssertEqual(claims.exp.value.timeIntervalSince(claims.iat.value), 3600, accuracy: 1)
            XCTAssertEqual(claims.iat.value.timeIntervalSinceNow, 0, accuracy: 60)
            XCTAssertEqual(claims.context.version, 2)
            XCTAssertEqual(claims.context.entityKind, "user")
            XCTAssertEqual(claims.context.kind, "user")
            XCTAssertEqual(claims.context.user, "alice")
            XCTAssertEqual(claims.context.entityReference, alice.uuid)

            // The header names the key and the algorithm.
            let headerData = try XCTUnwrap(decodeBase64URL(token.split(separator: ".")[0]))
            let header = try XCTUnwrap(JSONSerialization.jsonObject(with: headerData) as? [String: Any])
            XCTAssertEqual(header["alg"] as? String, "RS256")
            XCTAssertEqual(header["typ"] as? String, "JWT")
            let kid = try XCTUnwrap(RegistryTokenService.kid(of: token))
            XCTAssertEqual(header["kid"] as? String, kid)
            XCTAssertEqual(kid.count, 32)
            let registered = try await store.serviceKey(kid: kid)
            XCTAssertEqual(registered?.hasPrefix("-----BEGIN PUBLIC KEY-----"), true, "the public key is registered under its kid")

            // Verifying again (from the cache) gives the same claims.
            let again = try await tokens.verify(token)
            XCTAssertEqual(again, claims)
        }
    }

    func testAnonymousAndOAuthIdentities() async throws {
        try await withTemporaryStore { store, directory in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let tokens = try await service(store, keyPath: directory + "/a.pem")

            let anonymousToken = try await tokens.issue(for: .anonymous,
                                                        access: [RegistryAccess(type: "repository", name: "alice/pub", actions: ["pull"])])
            let anonymous = try await tokens.verify(anonymousToken)
            XCTAssertEqual(anonymous?.sub.value, "(anonymous)")
            XCTAssertEqual(anonymous?.context.entityKind, "anonymous")
            XCTAssertEqual(anonymous?.context.kind, "anonymous")
            XCTAssertNotNil(anonymous)
            XCTAssertNil(anonymous?.context.user)
            XCTAssertEqual(anonymous?.actions(onRepository: "alice/pub"), ["pull"])

            let oauth = Identity(kind: .oauthToken, account: alice, scopes: [.repoRead], isSuperuser: false)
            let oauthToken = try await tokens.issue(for: oauth, access: [])
            let claims = try await tokens.verify(oauthToken)
            XCTAssertEqual(claims?.sub.value, "alice")
            XCTAssertEqual(claims?.context.entityKind, "oauthtoken")
            XCTAssertEqual(claims?.context.kind, "oauth")
            XCTAssertEqual(claims?.access, [])
        }
    }

    func testActionsOnlyCountRepositoryEntries() {
        var withOthers = self.claims(issuedAt: Date(), lifetime: 60)
        withOthers.access = [
            RegistryAccess(type: "repository", name: "a/b", actions: ["pull"]),
            RegistryAccess(type: "registry", name: "a/b", actions: ["*"]),
            RegistryAccess(type: "repository", name: "a/b", actions: ["push", "pull"]),
            RegistryAccess(type: "repository", name: "a/c", actions: ["delete"]),
        ]
        XCTAssertEqual(withOthers.actions(onRepository: "a/b"), ["pull", "push"])
        XCTAssertEqual(withOthers.actions(onRepository: "a/c"), ["delete"])
    }

    // MARK: Keys

    func testKeyIsPersistedAndReused() async throws {
        try await withTemporaryStore { store, directory in
            let keyPath = directory + "/nested/dir/key.pem"
            let first = try await service(store, keyPath: keyPath)
            let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600, "the private key is private")
            let pem = try String(contentsOfFile: keyPath, encoding: .utf8)
            XCTAssertTrue(pem.contains("PRIVATE KEY"))

            let firstToken = try await first.issue(for: .anonymous, access: [])
            let reopened = try await service(store, keyPath: keyPath)
            let secondToken = try await reopened.issue(for: .anonymous, access: [])
            XCTAssertEqual(RegistryTokenService.kid(of: firstToken), RegistryTokenService.kid(of: secondToken),
                           "the same key file gives the same kid")
            XCTAssertEqual(try String(contentsOfFile: keyPath, encoding: .utf8), pem, "the key file was not replaced")
            let crossA = try await reopened.verify(firstToken)
            XCTAssertNotNil(crossA)
            let crossB = try await first.verify(secondToken)
            XCTAssertNotNil(crossB)
        }
    }

    func testTokenOfAnotherInstanceVerifiesThroughTheStore() async throws {
        try await withTemporaryStore { store, directory in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let nodeA = try await service(store, keyPath: directory + "/a.pem")
            let nodeB = try await service(store, keyPath: directory + "/b.pem")

            let tokenA = try await nodeA.issue(for: userIdentity(alice), access: pullPush)
            let tokenB = try await nodeB.issue(for: userIdentity(alice), access: pullPush)
            let kidA = try XCTUnwrap(RegistryTokenService.kid(of: tokenA))
            let kidB = try XCTUnwrap(RegistryTokenService.kid(of: tokenB))
            XCTAssertNotEqual(kidA, kidB, "each instance has its own key")
            let registeredB = try await store.serviceKey(kid: kidB)
            XCTAssertNotNil(registeredB)

            // A learns B's key from the store, and the other way round.
            let onA = try await nodeA.verify(tokenB)
            XCTAssertEqual(onA?.sub.value, "alice")
            XCTAssertEqual(onA?.access, pullPush)
            let onB = try await nodeB.verify(tokenA)
            XCTAssertEqual(onB?.sub.value, "alice")
            // Still fine once the key is known.
            let second = try await nodeB.issue(for: .anonymous, access: [])
            let secondOnA = try await nodeA.verify(second)
            XCTAssertEqual(secondOnA?.sub.value, "(anonymous)")
        }
    }

    func testTokenWithUnregisteredKidIsRefused() async throws {
        try await withTemporaryStore { storeA, directory in
            let nodeA = try await service(storeA, keyPath: directory + "/a.pem")
            // An instance on another database: its key is not in A's store.
            try await withTemporaryStore { storeB, directoryB in
                let nodeB = try await service(storeB, keyPath: directoryB + "/b.pem")
                let token = try await nodeB.issue(for: .anonymous, access: [])
                let verified = try await nodeA.verify(token)
                XCTAssertNil(verified)
            }
        }
    }

    // MARK: Refused tokens

    func testOtherAudienceIsRefused() async throws {
        try await withTemporaryStore { store, directory in
            let tokens = try await service(store, keyPath: directory + "/a.pem")
            let other = try await service(store, keyPath: directory + "/other.pem", audience: "other.example.com")
            let token = try await other.issue(for: .anonymous, access: [])
            let mine = try await tokens.verify(token)
            XCTAssertNil(mine, "a token for another audience")
            let theirs = try await other.verify(token)
            XCTAssertNotNil(theirs, "fine for the audience it names")

            // Same key, other audience: also refused.
            let sameKey = try await service(store, keyPath: directory + "/a.pem", audience: "other.example.com")
            let sameKeyToken = try await sameKey.issue(for: .anonymous, access: [])
            let refused = try await tokens.verify(sameKeyToken)
            XCTAssertNil(refused)
        }
    }

    func testOtherIssuerIsRefused() async throws {
        try await withTemporaryStore { store, directory in
            let tokens = try await service(store, keyPath: directory + "/a.pem")
            let other = try await service(store, keyPath: directory + "/other.pem", issuer: "someone-else")
            let token = try await other.issue(for: .anonymous, access: [])
            let verified = try await tokens.verify(token)
            XCTAssertNil(verified)
        }
    }

    func testTamperedTokensAreRefused() async throws {
        try await withTemporaryStore { store, directory in
            let alice = try await store.createUser(username: "alice", email: nil, passwordHash: nil)
            let tokens = try await service(store, keyPath: directory + "/a.pem")
            let token = try await tokens.issue(for: userIdentity(alice), access: pullPush)
            let parts = token.split(separator: ".").map(String.init)
            XCTAssertEqual(parts.count, 3)

            // A changed signature.
            var signature = Array(parts[2])
            let middle = signature.count / 2
            signature[middle] = signature[middle] == "A" ? "B" : "A"
            let badSignature = [parts[0], parts[1], String(signature)].joined(separator: ".")
            let tamperedSignature = try await tokens.verify(badSignature)
            XCTAssertNil(tamperedSignature)

            // A changed payload under the original signature: more actions on another repository.
            var payload = try XCTUnwrap(JSONSerialization.jsonObject(with: XCTUnwrap(decodeBase64URL(Substring(parts[1])))) as? [String: Any])
            payload["access"] = [["type": "repository", "name": "bob/app", "actions": ["pull", "push", "delete"]]]
            let forgedPayload = base64URL(try JSONSerialization.data(withJSONObject: payload))
            let forged = [parts[0], forgedPayload, parts[2]].joined(separator: ".")
            let tamperedPayload = try await tokens.verify(forged)
            XCTAssertNil(tamperedPayload)

            // No signature at all, with "alg": "none".
            let noneHeader = base64URL(try JSONSerialization.data(withJSONObject: [
                "alg": "none", "typ": "JWT", "kid": RegistryTokenService.kid(of: token)!,
            ]))
            let unsigned = try await tokens.verify("\(noneHeader).\(parts[1]).")
            XCTAssertNil(unsigned)

            // Truncated and garbage tokens.
            let truncated = try await tokens.verify(parts[0] + "." + parts[1])
            XCTAssertNil(truncated)
            let garbage = try await tokens.verify("not-a-token")
            XCTAssertNil(garbage)
            let empty = try await tokens.verify("")
            XCTAssertNil(empty)

            // The original is still good.
            let original = try await tokens.verify(token)
            XCTAssertEqual(original?.sub.value, "alice")
        }
    }

    func testExpiredAndOverlongTokensAreRefused() async throws {
        try await withTemporaryStore { store, directory in
            let keyPath = directory + "/a.pem"
            let tokens = try await service(store, keyPath: keyPath)
            let issued = try await tokens.issue(for: .anonymous, access: [])
            let kid = try XCTUnwrap(RegistryTokenService.kid(of: issued))

            // Our own signing of valid claims is accepted, so the refusals below are about the claims.
            let fresh = try await sign(claims(issuedAt: Date(), lifetime: 3600), keyPath: keyPath, kid: kid)
            let freshClaims = try await tokens.verify(fresh)
            XCTAssertEqual(freshClaims?.sub.value, "alice")

            let expired = try await sign(claims(issuedAt: Date().addingTimeInterval(-7200), lifetime: 3600), keyPath: keyPath, kid: kid)
            let expiredClaims = try await tokens.verify(expired)
            XCTAssertNil(expiredClaims, "expired an hour ago")

            let notYet = try await sign(claims(issuedAt: Date().addingTimeInterval(600), lifetime: 3600), keyPath: keyPath, kid: kid)
            let notYetClaims = try await tokens.verify(notYet)
            XCTAssertNil(notYetClaims, "not valid before ten minutes from now")

            let overlong = try await sign(claims(issuedAt: Date(), lifetime: 86_400), keyPath: keyPath, kid: kid)
            let overlongClaims = try await tokens.verify(overlong)
            XCTAssertNil(overlongClaims, "lifetime longer than the service's")

            let wrongAudience = try await sign(claims(issuedAt: Date(), lifetime: 60, audience: "elsewhere"), keyPath: keyPath, kid: kid)
            let wrongAudienceClaims = try await tokens.verify(wrongAudience)
            XCTAssertNil(wrongAudienceClaims)
        }
    }

    func testKidOfToken() {
        let header = base64URL(Data(#"{"alg":"RS256","kid":"abc123","typ":"JWT"}"#.utf8))
        XCTAssertEqual(RegistryTokenService.kid(of: "\(header).e30.sig"), "abc123")
        let noKid = base64URL(Data(#"{"alg":"RS256"}"#.utf8))
        XCTAssertNil(RegistryTokenService.kid(of: "\(noKid).e30.sig"))
        let numericKid = base64URL(Data(#"{"kid":5}"#.utf8))
        XCTAssertNil(RegistryTokenService.kid(of: "\(numericKid).e30.sig"))
        XCTAssertNil(RegistryTokenService.kid(of: ""))
        XCTAssertNil(RegistryTokenService.kid(of: "!!!.e30.sig"))
        XCTAssertNil(RegistryTokenService.kid(of: base64URL(Data("[1,2]".utf8)) + ".e30.sig"))
    }
}
