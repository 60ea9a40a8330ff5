import Foundation
import SQLKit

/// Changes to an account; nil leaves a field as it is (`ownerTeamID` is changed only when `changesOwnerTeam`).
public struct AccountChange: Sendable {
    public var username: String?
    public var email: String?
    public var passwordHash: String?
    public var displayName: String?
    public var superuser: Bool?
    public var description: String?
    public var namespaceVisibility: NamespaceVisibility?
    public var ownerTeamID: Int64?
    public var changesOwnerTeam = false

    public init() {}

    /// Whether nothing would change.
    public var isEmpty: Bool {
        username == nil && email == nil && passwordHash == nil && displayName == nil && superuser == nil && description == nil
            && namespaceVisibility == nil && !changesOwnerTeam
    }
}

extension StoreTransaction {
    /// Applies `change` to account `id` in one transaction and returns the account as it is now (nil when
    /// it does not exist). A new name renames the account's robots with it; a taken name is a `conflict`.
    public func changeAccount(id: Int64, _ change: AccountChange) async throws -> AccountRecord? {
        try await pool.transaction { db in
            guard let current = try await db.raw("SELECT \(MetadataStore.accountColumns) FROM account WHERE id = \(bind: id)")
                .first(decoding: AccountRecord.self, with: decoder) else { return nil }
            if let name = change.username, name != current.username {
                try await rename(id: id, from: current.username, to: name, conflict: "has already been taken", db: db)
            }
            var sets: [SQLQueryString] = ["updated_ms = \(bind: MetadataStore.nowMs())"]
            if let email = change.email { sets.append("email = \(bind: email)") }
            if let hash = change.passwordHash { sets.append("password_hash = \(bind: hash)") }
            if let name = change.displayName { sets.append("display_name = \(bind: name)") }
            if let superuser = change.superuser { sets.append("superuser = \(bind: superuser)") }
            if let description = change.description { sets.append("description = \(bind: description)") }
            if let visibility = change.namespaceVisibility { sets.append("namespace_visibility = \(bind: visibility.rawValue)") }
            if change.changesOwnerTeam { sets.append("owner_team_id = \(bind: change.ownerTeamID)") }
            return try await db.raw("""
                UPDATE account SET \(sets.joined(separator: ", ")) WHERE id = \(bind: id) RETURNING \(MetadataStore.accountColumns)
                """).first(decoding: AccountRecord.self, with: decoder)
        }
    }

    /// Creates a user with the Portus attributes (display name, bot, superuser); with `onlyIfFirst`, only
    /// while no user exists (a `conflict` otherwise). PostgreSQL's transactions do not see each other's
    /// new rows, so there the check holds a lock that makes concurrent "first" users wait for each other
    /// (SQLite's writers are serialised already).
    public func createUser(username: String, email: String?, passwordHash: String?, displayName: String?, bot: Bool, superuser: Bool,
                           onlyIfFirst: Bool) async throws -> AccountRecord {
        try await pool.transaction { db in
            if onlyIfFirst {
                if pool.engine == .postgres { try await db.raw("LOCK TABLE account IN SHARE ROW EXCLUSIVE MODE").run() }
                let users = try await db.raw("SELECT COUNT(*) AS n FROM account WHERE is_organization = FALSE AND is_robot = FALSE")
                    .first(decodingColumn: "n", as: Int.self) ?? 0
                guard users == 0 else { throw MetadataError.conflict("users exist") }
            }
            let account = try await insertAccount(db, username: username, email: email, passwordHash: passwordHash)
            return try await db.raw("""
                UPDATE account SET display_name = \(bind: displayName), bot = \(bind: bot), superuser = \(bind: superuser)
                WHERE id = \(bind: account.id) RETURNING \(MetadataStore.accountColumns)
                """).first(decoding: AccountRecord.self, with: decoder)!
        }
    }

    /// Notes a sign-in: the previous one becomes the last, this one the current.
    public func recordSignIn(accountID: Int64) async throws {
        try await run("""
            UPDATE account SET last_sign_in_ms = COALESCE(current_sign_in_ms, \(bind: MetadataStore.nowMs())), current_sign_in_ms = \(bind: MetadataStore.nowMs())
            WHERE id = \(bind: accountID)
            """)
    }
}
