import Foundation
import WharfMetadata

/// A new user's details as an administrator gives them.
public struct NewUser: Sendable {
    public var username: String?
    public var email: String?
    public var password: String?
    public var displayName: String?
    public var bot: Bool

    public init(username: String?, email: String?, password: String?, displayName: String?, bot: Bool = false) {
        self.username = username
        self.email = email
        self.password = password
        self.displayName = displayName
        self.bot = bot
    }
}

/// Users as administrators manage them (Portus's users API): created with a display name, as bots or as
/// the first administrator; renamed, given new e-mail addresses or passwords; deleted. Problems are
/// reported per field with Portus's (Rails') messages; a user's name is also its namespace's, so it
/// must be a valid namespace name.
public struct UserAdministration: Sendable {
    let store: MetadataStore
    let authenticator: Authenticator
    /// Gives the first administrator its token.
    let appTokens: AppTokenService

    public init(store: MetadataStore, authenticator: Authenticator, appTokens: AppTokenService) {
        self.store = store
        self.authenticator = authenticator
        self.appTokens = appTokens
    }

    /// Creates the first user, an administrator, with an application token named `bootstrap`
    /// (`AccountError.notFirstUser` once any user exists).
    public func bootstrap(_ user: NewUser, ip: String?) async throws -> (token: AppTokenRecord, value: String) {
        guard try await store.userCount() == 0 else { throw AccountError.notFirstUser }
        var details = user
        details.bot = false
        let account = try await create(details, admin: true, onlyIfFirst: true, by: nil)
        let performer = Performer(identity: Identity(kind: .user, account: account, scopes: nil, isSuperuser: true), ip: ip)
        let (record, value) = try await appTokens.createForApplication("bootstrap", for: account, by: performer)
        return (record, value)
    }

    /// Creates a user; `admin` makes it a superuser, and with `onlyIfFirst` only while no user exists
    /// (`AccountError.notFirstUser` otherwise).
    public func create(_ user: NewUser, admin: Bool = false, onlyIfFirst: Bool = false, by performer: Performer?) async throws -> AccountRecord {
        var problems = try await problems(username: user.username, email: user.email, displayName: user.displayName, current: nil)
        problems.merge(Self.problems(password: user.password)) { $0 + $1 }
        guard problems.isEmpty, let username = user.username, let email = user.email, let password = user.password else {
            throw DomainError.invalidFields(problems)
        }
        let hash = try await Secrets.hashPassword(password)
        do {
            return try await store.transaction { tx in
                let account = try await tx.createUser(username: username, email: email.lowercased(), passwordHash: hash, displayName: user.displayName,
                                                      bot: user.bot, superuser: admin, onlyIfFirst: onlyIfFirst)
                try await tx.emit(.userCreate, namespace: account, by: performer, details: ["username": username, "via": "portus"])
                return account
            }
        } catch MetadataError.conflict {
            if onlyIfFirst, try await store.userCount() > 0 { throw AccountError.notFirstUser }
            throw DomainError.invalidFields(["username": ["has already been taken"]])
        }
    }

    /// Changes a user's name, e-mail address, password or display name (nil leaves each as it is).
    public func update(_ user: AccountRecord, username: String?, email: String?, password: String?, displayName: String?,
                       by performer: Performer) async throws -> AccountRecord {
        var problems = try await problems(username: username, email: email, displayName: displayName, current: user)
        if let password { problems.merge(Self.problems(password: password)) { $0 + $1 } }
        guard problems.isEmpty else { throw DomainError.invalidFields(problems) }
        var change = AccountChange()
        change.username = username
        change.email = email?.lowercased()
        change.displayName = displayName
        if let password { change.passwordHash = try await Secrets.hashPassword(password) }
        let updated: AccountRecord
        do {
            updated = try await store.transaction { [change] tx in
                guard let updated = try await tx.changeAccount(id: user.id, change) else { throw DomainError.notFound }
                if username != nil, username != user.username {
                    try await tx.emit(.userChangeName, namespace: updated, by: performer,
                                      details: ["old_username": user.username, "username": updated.username])
                }
                if password != nil { try await tx.emit(.userChangePassword, namespace: updated, by: performer, details: ["username": updated.username]) }
                if let email, email.lowercased() != user.email {
                    try await tx.emit(.userChangeEmail, namespace: updated, by: performer, details: ["email": email, "old_email": user.email])
                }
                return updated
            }
        } catch MetadataError.conflict {
            throw DomainError.invalidFields(["username": ["has already been taken"]])
        }
        authenticator.forgetCachedCredentials()
        return updated
    }

    /// Deletes a user with its namespace's repositories, robots, tokens and memberships; nobody deletes
    /// their own account this way (Portus let an administrator do it).
    public func delete(_ user: AccountRecord, by performer: Performer) async throws {
        if user.id == performer.account?.id { throw DomainError.rejected("You cannot remove yourself") }
        try await store.transaction { tx in
            try await tx.emit(.userDelete, namespace: user, by: performer, details: ["username": user.username])
            try await tx.deleteAccount(id: user.id)
        }
        authenticator.forgetCachedCredentials()
    }

    /// The problems with a user's name, e-mail address and display name, by field; nil values are not
    /// checked unless they are required (`current` nil: a new user).
    func problems(username: String?, email: String?, displayName: String?, current: AccountRecord?) async throws -> [String: [String]] {
        var problems: [String: [String]] = [:]
        if let username, username != current?.username {
            if username.isEmpty {
                problems["username"] = ["can't be blank"]
            } else if (try? AccountRules.validateUsername(username)) == nil {
                problems["username"] = ["'\(username)' cannot be transformed into a valid namespace name"]
            } else if try await store.account(named: username) != nil {
                problems["username"] = ["has already been taken"]
            }
        } else if username == nil, current == nil {
            problems["username"] = ["can't be blank"]
        }
        if let email, email.lowercased() != current?.email?.lowercased() {
            if email.isEmpty {
                problems["email"] = ["can't be blank"]
            } else if !Self.isEmail(email) {
                problems["email"] = ["is invalid"]
            } else if let owner = try await store.user(email: email), owner.id != current?.id {
                problems["email"] = ["has already been taken"]
            }
        } else if email == nil, current == nil {
            problems["email"] = ["can't be blank"]
        }
        if let displayName, !displayName.isEmpty, displayName != current?.displayName,
           try await store.user(displayName: displayName).map({ $0.id != current?.id }) ?? false {
            problems["display_name"] = ["has already been taken"]
        }
        return problems
    }

    /// Devise's rules: required, 8 to 128 characters (Wharf also keeps bcrypt's 72-byte limit).
    static func problems(password: String?) -> [String: [String]] {
        guard let password, !password.isEmpty else { return ["password": ["can't be blank"]] }
        if password.count < 8 { return ["password": ["is too short (minimum is 8 characters)"]] }
        if password.utf8.count > 72 { return ["password": ["is too long (maximum is 72 characters)"]] }
        return [:]
    }

    /// Devise's e-mail format: something, `@`, something, no white space.
    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && !text.contains(where: \.isWhitespace)
    }
}
