import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Encrypts secrets that must be shown again later (robot tokens, app tokens, OAuth client secrets)
/// with AES-GCM under the database secret key; secrets that are only checked are hashed instead.
public struct SecretSealer: Sendable {
    private let key: SymmetricKey

    /// A sealer whose key is derived from `secret` (Quay's `DATABASE_SECRET_KEY`).
    public init(secret: String) {
        key = SymmetricKey(data: SHA256.hash(data: Data(("wharf-database-secret:" + secret).utf8)))
    }

    /// The key configured in `DATABASE_SECRET_KEY`, or else one generated once and kept at `path`
    /// (readable by its owner only). Nodes that share a database must share the key: set it in the
    /// configuration when running more than one.
    public static func load(configured: String?, path: String) throws -> SecretSealer {
        if let configured, !configured.isEmpty { return SecretSealer(secret: configured) }
        if let existing = FileManager.default.contents(atPath: path), let text = String(data: existing, encoding: .utf8) {
            return SecretSealer(secret: text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let generated = Secrets.randomToken(length: 64)
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if descriptor < 0 {
            if errno == EEXIST { return try load(configured: nil, path: path) }
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        defer { close(descriptor) }
        let bytes = Array(generated.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count, fsync(descriptor) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        return SecretSealer(secret: generated)
    }

    /// `plaintext` encrypted and authenticated, base64-encoded.
    public func seal(_ plaintext: String) throws -> String {
        try AES.GCM.seal(Data(plaintext.utf8), using: key).combined!.base64EncodedString()
    }

    /// The plaintext of a sealed value; nil when it was sealed under another key or altered.
    public func open(_ sealed: String) -> String? {
        guard let data = Data(base64Encoded: sealed), let box = try? AES.GCM.SealedBox(combined: data),
              let plain = try? AES.GCM.open(box, using: key) else { return nil }
        return String(data: plain, encoding: .utf8)
    }
}
