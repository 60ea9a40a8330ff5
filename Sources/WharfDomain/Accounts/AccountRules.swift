import Foundation
import WharfMetadata

/// Why an account could not be created or changed.
public enum AccountError: Error, Sendable, Equatable {
    case invalid(String)
    case alreadyExists(String)
    /// The registry already has users (the first-user endpoint only works on an empty one).
    case notFirstUser
}

/// Quay's rules for user names, passwords and e-mail addresses.
public enum AccountRules {
    /// `^([a-z0-9]+(?:[._-][a-z0-9]+)*)$`, 2 to 255 characters.
    public static func validateUsername(_ name: String) throws(AccountError) {
        let bytes = Array(name.utf8)
        func alnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) }
        var valid = bytes.count >= 2 && bytes.count <= 255 && alnum(bytes.first!) && alnum(bytes.last!)
        for index in bytes.indices where valid && !alnum(bytes[index]) {
            valid = [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-")].contains(bytes[index]) && alnum(bytes[index + 1])
        }
        guard valid else {
            throw .invalid("Invalid namespace \(name): Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$ and be between 2 and 255 characters in length")
        }
    }

    /// At least 8 characters and at most 72 bytes (bcrypt ignores anything past 72 bytes, so a longer
    /// password would be accepted with any ending).
    public static func validatePassword(_ password: String) throws(AccountError) {
        guard password.count >= 8 else { throw .invalid("Password must be at least 8 characters long") }
        guard password.utf8.count <= 72 else { throw .invalid("Password must be at most 72 bytes long") }
    }

    /// One `@`, a non-empty local part, a dotted domain, no spaces.
    public static func validateEmail(_ email: String) throws(AccountError) {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !email.contains(" ") else {
            throw .invalid("Invalid email address: \(email)")
        }
    }
}


/// Creating accounts, shared by the APIs and the command line; each creation is an event (`user_create`).
public struct AccountService: Sendable {
    let store: MetadataStore

    public init(store: MetadataStore) {
        self.store = store
    }

    /// Validates and creates a user with a bcrypt-hashed password; with `onlyIfFirst`, only while the
    /// registry has no user at all. `performer` is who asked (nil: the command line), `via` how.
    public func createUser(username: String, password: String, email: String?, onlyIfFirst: Bool = false,
                           by performer: Performer? = nil, via: String? = nil) async throws -> AccountRecord {
        try AccountRules.validateUsername(username)
        try AccountRules.validatePassword(password)
        if let email { try AccountRules.validateEmail(email) }
        let hash = try await Secrets.hashPassword(password)
        do {
            return try await store.transaction { tx in
                let account = try await tx.createUser(username: username, email: email, passwordHash: hash, onlyIfFirst: onlyIfFirst)
                try await tx.emit(.userCreate, namespace: account, by: performer, details: ["username": account.username, "via": via])
                return account
            }
        } catch MetadataError.conflict {
            if onlyIfFirst, try await store.userCount() > 0 { throw AccountError.notFirstUser }
            throw AccountError.alreadyExists("A user or organization with this name already exists")
        }
    }

    /// Creates a user with a generated password (a superuser's way); returns the user and the password.
    public func createUserWithGeneratedPassword(username: String, email: String?, by performer: Performer) async throws -> (AccountRecord, String) {
        let password = Secrets.randomToken(length: 32)
        let account = try await createUser(username: username, password: password, email: email, by: performer, via: "superuser")
        return (account, password)
    }
}
