import Crypto
import Foundation
import WharfDomain
import WharfMetadata

/// The small JSON views Quay repeats across endpoints: avatars, entities and dates.
enum QuayViews {
    /// Quay's avatar palette.
    private static let colors = ["#969696", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
                                 "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7",
                                 "#bcbd22", "#1f77b4", "#17becf", "#9edae5", "#393b79", "#5254a3", "#6b6ecf", "#9c9ede",
                                 "#637939", "#8ca252", "#b5cf6b", "#cedb9c", "#8c6d31", "#bd9e39", "#e7ba52", "#e7cb94"]

    /// `{"name", "hash", "color", "kind"}`: the hash is the SHA-256 of the lower-cased e-mail (or name).
    static func avatar(name: String, email: String?, kind: String) -> [String: Any] {
        let source = (email ?? name).trimmingCharacters(in: .whitespaces).lowercased()
        let hash = SHA256.hash(data: Data(source.utf8)).map { String(format: "%02x", $0) }.joined()
        let index = Int(UInt64(hash.prefix(10), radix: 16)! % UInt64(colors.count))
        return ["name": name, "hash": hash, "color": colors[index], "kind": kind]
    }

    /// The avatar of an account, with the kind Quay gives it.
    static func avatar(_ account: AccountRecord) -> [String: Any] {
        avatar(name: account.username, email: account.email, kind: kind(of: account))
    }

    static func kind(of account: AccountRecord) -> String {
        account.isOrganization ? "org" : account.isRobot ? "robot" : "user"
    }

    /// A team's avatar.
    static func avatar(team: TeamRecord) -> [String: Any] {
        avatar(name: team.name, email: nil, kind: "team")
    }

    /// RFC 2822 date (`Mon, 23 Nov 2026 07:00:00 -0000`), as Quay's `format_date`.
    static func date(ms: Int64?) -> Any {
        guard let ms else { return jsonNull }
        return rfc2822.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    nonisolated(unsafe) private static let rfc2822: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '-0000'"
        return formatter
    }()

    /// `{"name", "is_public"}` of a repository a permission is held on.
    static func permissionEntry(_ permission: HeldPermission) -> [String: Any] {
        ["repository": ["name": permission.repositoryName, "is_public": permission.visibility == .public], "role": permission.role.rawValue]
    }
}
