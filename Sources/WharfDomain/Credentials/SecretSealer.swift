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
    ///
    /// A generated key is written to a temporary file, flushed, then linked into place, so a reader
    /// never sees a partial key; a key file shorter than `minimumKeyLength` is refused.
    public static func load(configured: String?, path: String) throws -> SecretSealer {
        if let configured, !configured.isEmpty { return SecretSealer(secret: configured) }
        if FileManager.default.fileExists(atPath: path) { return try read(path) }
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = directory + "/.database-secret-" + Secrets.randomToken(length: 12)
        let descriptor = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary]) }
        defer { unlink(temporary) }
        let bytes = Array(Secrets.randomToken(length: 64).utf8)
        let written = write(descriptor, bytes, bytes.count)
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == bytes.count, synced == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        if link(temporary, path) != 0, errno != EEXIST {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        return try read(path)
    }

    /// Keys shorter than this are refused (a generated key has 64 characters).
    static let minimumKeyLength = 32

    private static func read(_ path: String) throws -> SecretSealer {
        let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count >= minimumKeyLength else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path,
                                                             NSLocalizedDescriptionKey: "the database secret key at \(path) is too short"])
        }
        return SecretSealer(secret: text)
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
