/// Organization team roles, ordered `member < creator < admin`.
public enum TeamRole: String, Sendable, Codable, Comparable, CaseIterable {
    case member
    case creator
    case admin

    private var rank: Int {
        switch self {
        case .member: return 0
        case .creator: return 1
        case .admin: return 2
        }
    }

    public static func < (lhs: TeamRole, rhs: TeamRole) -> Bool { lhs.rank < rhs.rank }
}

/// A team of an organization, with its member count.
public struct TeamRecord: Sendable, Equatable, Decodable {
    public let id: Int64
    public let organizationId: Int64
    public let name: String
    public let role: TeamRole
    public let description: String
    public let createdMs: Int64
    public let updatedMs: Int64

    enum CodingKeys: String, CodingKey {
        case id
        case organizationId = "organization_id"
        case name
        case role
        case description
        case createdMs = "created_ms"
        case updatedMs = "updated_ms"
    }
}

/// A pending invitation to join a team, for an existing user or an e-mail address.
public struct TeamInviteRecord: Sendable, Equatable, Decodable {
    public let id: Int64
    public let teamId: Int64
    public let accountId: Int64?
    public let username: String?
    public let email: String?

    enum CodingKeys: String, CodingKey {
        case id
        case teamId = "team_id"
        case accountId = "account_id"
        case username
        case email
    }
}

/// A robot account with its owner and description; the token is kept sealed (encrypted) and hashed.
public struct RobotRecord: Sendable, Equatable, Decodable {
    public let accountId: Int64
    public let name: String
    public let ownerId: Int64
    public let description: String
    public let unstructuredJson: String
    public let tokenHash: String
    public let tokenSealed: String
    public let createdMs: Int64
    public let lastAccessedMs: Int64?

    enum CodingKeys: String, CodingKey {
        case accountId = "account_id"
        case name = "username"
        case ownerId = "owner_id"
        case description
        case unstructuredJson = "unstructured_json"
        case tokenHash = "token_hash"
        case tokenSealed = "token_sealed"
        case createdMs = "created_ms"
        case lastAccessedMs = "last_accessed_ms"
    }
}

/// An application-specific token (used as a password with the `$app` user name).
public struct AppTokenRecord: Sendable, Equatable, Decodable {
    public let id: Int64
    public let uuid: String
    public let accountId: Int64
    public let title: String
    public let tokenName: String
    public let tokenHash: String
    public let tokenSealed: String
    public let createdMs: Int64
    public let expiresMs: Int64?
    public let lastAccessedMs: Int64?

    enum CodingKeys: String, CodingKey {
        case id
        case uuid
        case accountId = "account_id"
        case title
        case tokenName = "token_name"
        case tokenHash = "token_hash"
        case tokenSealed = "token_sealed"
        case createdMs = "created_ms"
        case expiresMs = "expires_ms"
        case lastAccessedMs = "last_accessed_ms"
    }
}

/// An OAuth application registered by an organization.
public struct OAuthApplicationRecord: Sendable, Equatable, Decodable {
    public let id: Int64
    public let clientId: String
    public let clientSecretHash: String
    public let clientSecretSealed: String
    public let organizationId: Int64
    public let name: String
    public let description: String
    public let applicationUri: String
    public let redirectUri: String
    public let avatarEmail: String?

    enum CodingKeys: String, CodingKey {
        case id
        case clientId = "client_id"
        case clientSecretHash = "client_secret_hash"
        case clientSecretSealed = "client_secret_sealed"
        case organizationId = "organization_id"
        case name
        case description
        case applicationUri = "application_uri"
        case redirectUri = "redirect_uri"
        case avatarEmail = "avatar_email"
    }
}

/// A pending OAuth authorization code (its secret part kept as a hash).
public struct AuthorizationCodeRecord: Sendable, Equatable, Decodable {
    public let id: Int64
    public let applicationId: Int64
    public let accountId: Int64
    public let codeHash: String
    public let scopes: String
    public let redirectUri: String
    public let expiresMs: Int64

    enum CodingKeys: String, CodingKey {
        case id
        case applicationId = "application_id"
        case accountId = "account_id"
        case codeHash = "code_hash"
        case scopes
        case redirectUri = "redirect_uri"
        case expiresMs = "expires_ms"
    }
}

/// A signed-in browser session (its secret part kept as a hash).
public struct SessionRecord: Sendable, Equatable, Decodable {
    public let id: Int64
    public let sessionHash: String
    public let csrfToken: String
    public let accountId: Int64
    public let expiresMs: Int64

    enum CodingKeys: String, CodingKey {
        case id
        case sessionHash = "session_hash"
        case csrfToken = "csrf_token"
        case accountId = "account_id"
        case expiresMs = "expires_ms"
    }
}

/// A default permission of an organization: granted on each new repository, to a user, robot or team,
/// when the repository is created by `activating` (or by anyone when nil).
public struct PrototypeRecord: Sendable, Equatable, Decodable {
    public let uuid: String
    public let organizationId: Int64
    public let activatingAccountId: Int64?
    public let delegateAccountId: Int64?
    public let delegateTeamId: Int64?
    public let role: RepositoryRole

    enum CodingKeys: String, CodingKey {
        case uuid
        case organizationId = "organization_id"
        case activatingAccountId = "activating_account_id"
        case delegateAccountId = "delegate_account_id"
        case delegateTeamId = "delegate_team_id"
        case role
    }
}

/// One audit-log entry to record.
public struct NewLogEntry: Sendable {
    public let kind: String
    public let accountId: Int64?
    public let performerId: Int64?
    public let repositoryId: Int64?
    public let ip: String?
    public let metadataJson: String
    /// When it happened (ms since the epoch); nil: when it is written.
    public let datetimeMs: Int64?
    /// The outbox event the entry records, if it came from one (an event is logged once).
    public let eventId: Int64?

    public init(kind: String, accountId: Int64?, performerId: Int64?, repositoryId: Int64?, ip: String?, metadataJson: String,
                datetimeMs: Int64? = nil, eventId: Int64? = nil) {
        self.kind = kind
        self.accountId = accountId
        self.performerId = performerId
        self.repositoryId = repositoryId
        self.ip = ip
        self.metadataJson = metadataJson
        self.datetimeMs = datetimeMs
        self.eventId = eventId
    }
}

/// A recorded audit-log entry.
public struct LogEntryRecord: Sendable, Equatable, Decodable {
    public let id: Int64
    public let kind: String
    public let accountId: Int64?
    public let performerId: Int64?
    public let repositoryId: Int64?
    public let datetimeMs: Int64
    public let ip: String?
    public let metadataJson: String

    enum CodingKeys: String, CodingKey {
        case id
        case kind
        case accountId = "account_id"
        case performerId = "performer_id"
        case repositoryId = "repository_id"
        case datetimeMs = "datetime_ms"
        case ip
        case metadataJson = "metadata_json"
    }
}
