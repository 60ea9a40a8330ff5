import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix
import WharfOCI

/// Password hashing (bcrypt), random tokens and constant-time comparison.
public enum Secrets {
    /// bcrypt work factor for stored passwords.
    public static let bcryptCost: UInt8 = 10

    /// Hashes a password with bcrypt on the blocking thread pool.
    public static func hashPassword(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: bcryptCost) }
    }

    /// Checks a password against a bcrypt hash on the blocking thread pool.
    public static func verifyPassword(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A random string of `length` characters from `[A-Za-z0-9]`, from the system's secure generator.
    public static func randomToken(length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }, as: UTF8.self)
    }

    /// Lower-case hex SHA-256 of a string (for storing high-entropy secrets).
    public static func sha256Hex(_ value: String) -> String {
        SHA256.hash(data: Data(value.utf8)).hexString
    }

    /// Compares two strings in time that depends only on their lengths.
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8), b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<a.count { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
