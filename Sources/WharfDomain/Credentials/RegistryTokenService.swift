import _CryptoExtras
import Crypto
import Foundation
import JWTKit
import NIOConcurrencyHelpers
import WharfFaults
import WharfMetadata
import WharfOCI

/// Issues and checks the RS256 bearer tokens of Docker token authentication.
///
/// Each instance signs with its own RSA key, kept in the data directory and created on first start; its
/// public key is registered in the metadata store under its `kid`, so every node can check every node's
/// tokens (as Quay does with service keys).
public final class RegistryTokenService: Sendable {
    /// The token issuer (`iss`).
    public let issuer: String
    /// The audience tokens must name (`aud`): the registry's `SERVER_HOSTNAME`.
    public let audience: String
    public let lifetime: TimeInterval = 3600
    private let kid: String
    private let keys: JWTKeyCollection
    private let knownKids = NIOLockedValueBox(Set<String>())
    private let verified = NIOLockedValueBox([String: RegistryClaims]())
    private let store: MetadataStore

    /// Loads (or creates) the signing key at `keyPath` and registers its public key.
    public init(keyPath: String, issuer: String, audience: String, store: MetadataStore) async throws {
        self.issuer = issuer
        self.audience = audience
        self.store = store
        let privateKey = try Self.loadOrCreateKey(at: keyPath)
        let publicPEM = privateKey.publicKey.pemRepresentation
        kid = String(SHA256.hash(data: privateKey.publicKey.derRepresentation).hexString.prefix(32))
        keys = JWTKeyCollection()
        await keys.add(rsa: try Insecure.RSA.PrivateKey(backing: privateKey), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        knownKids.withLockedValue { _ = $0.insert(kid) }
        try await store.transaction { tx in try await tx.saveServiceKey(kid: kid, service: issuer, publicKeyPEM: publicPEM) }
    }

    /// Reads the signing key; creates it only when the file does not exist, writing it with mode 0600 from
    /// the start (never readable by others, never overwriting a key that failed to load).
    static func loadOrCreateKey(at path: String) throws -> _RSA.Signing.PrivateKey {
        if FileManager.default.fileExists(atPath: path) {
            return try _RSA.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: path, encoding: .utf8))
        }
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteFileExists) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        try handle.write(contentsOf: Data(key.pemRepresentation.utf8))
        try handle.synchronize()
        return key
    }

    /// Signs a token for `identity` granting `access`.
    public func issue(for identity: Identity, access: [RegistryAccess]) async throws -> String {
        let now = Date()
        let claims = RegistryClaims(
            iss: .init(value: issuer), aud: .init(value: [audience]), sub: .init(value: identity.subject),
            iat: .init(value: now), nbf: .init(value: now), exp: .init(value: now.addingTimeInterval(lifetime)),
            access: access,
            context: RegistryTokenContext(version: 2, entityKind: identity.kind.rawValue,
                                          entityReference: identity.entityReference,
                                          kind: identity.contextKind,
                                          user: identity.account?.username,
                                          scopes: identity.scopes.map(Scope.render)))
        var header = JWTHeader()
        header.typ = "JWT"
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid), header: header)
    }

    /// Checks a token's signature, issuer, audience and lifetime; nil when any check fails. Throws only when
    /// the key cannot be looked up because the database is out (`ServiceFault`).
    public func verify(_ token: String) async throws -> RegistryClaims? {
        if let claims = verified.withLockedValue({ $0[token] }) {
            return claims.exp.value > Date() ? claims : nil
        }
        guard let tokenKid = Self.kid(of: token) else { return nil }
        if !knownKids.withLockedValue({ $0.contains(tokenKid) }) {
            let pem: String?
            do {
                pem = try await store.serviceKey(kid: tokenKid)
            } catch let fault as ServiceFault {
                throw fault
            } catch {
                return nil
            }
            guard let pem, let key = try? Insecure.RSA.PublicKey(pem: pem) else { return nil }
            await keys.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: tokenKid))
            knownKids.withLockedValue { _ = $0.insert(tokenKid) }
        }
        guard let claims = try? await keys.verify(token, as: RegistryClaims.self),
              claims.iss.value == issuer, claims.aud.value.contains(audience),
              claims.exp.value.timeIntervalSince(claims.iat.value) <= lifetime + 60 else { return nil }
        verified.withLockedValue { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[token] = claims
        }
        return claims
    }

    /// The `kid` in a token's header, read without verifying it.
    static func kid(of token: String) -> String? {
        guard let headerPart = token.split(separator: ".").first else { return nil }
        var base64 = headerPart.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64),
              let header = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return header["kid"] as? String
    }
}
