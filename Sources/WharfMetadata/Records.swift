/// A user, organization or robot (Quay keeps all three in one table). Users and organizations are also
/// the namespaces of the Portus API, with its visibility, description and owning team.
public struct AccountRecord: Sendable, Equatable, Decodable {
    public let id: Int64
    public let uuid: String
    public let username: String
    public let email: String?
    public let passwordHash: String?
    public let isOrganization: Bool
    public let isRobot: Bool
    public let enabled: Bool
    public let removedTagExpirationS: Int64
    /// A superuser by the database (a Portus administrator); `SUPER_USERS` names others.
    public let superuser: Bool
    /// A Portus bot: a user without a personal namespace of its own in the Portus API.
    public let bot: Bool
    public let displayName: String?
    /// The namespace's description (Portus).
    public let description: String
    public let namespaceVisibility: NamespaceVisibility
    /// The team whose members' roles decide what they may do in the namespace (Portus).
    public let ownerTeamId: Int64?
    /// What the server uses the account for, when it is not a user's or an organization's own (the
    /// organization that holds the Portus teams).
    public let systemRole: String?
    public let createdMs: Int64
    public let updatedMs: Int64?
    public let currentSignInMs: Int64?
    public let lastSignInMs: Int64?

    enum CodingKeys: String, CodingKey {
        case id
        case uuid
        case username
        case email
        case passwordHash = "password_hash"
        case isOrganization = "is_organization"
        case isRobot = "is_robot"
        case enabled
        case removedTagExpirationS = "removed_tag_expiration_s"
        case superuser
        case bot
        case displayName = "display_name"
        case description
        case namespaceVisibility = "namespace_visibility"
        case ownerTeamId = "owner_team_id"
        case systemRole = "system_role"
        case createdMs = "created_ms"
        case updatedMs = "updated_ms"
        case currentSignInMs = "current_sign_in_ms"
        case lastSignInMs = "last_sign_in_ms"
    }
}

/// Who may pull from a namespace beyond its teams and grants (Portus): only they (`private`), every
/// signed-in user (`protected`), or everyone (`public`, which makes each of its repositories public).
public enum NamespaceVisibility: String, Sendable, Codable, CaseIterable {
    case `private`
    case protected
    case `public`
}

/// A stored OAuth access token (its secret part is kept only as a hash).
public struct AccessTokenRecord: Sendable, Decodable {
    public let id: Int64
    public let uuid: String
    public let tokenName: String
    public let tokenCodeHash: String
    public let accountId: Int64
    public let scopes: String
    public let expiresMs: Int64?

    enum CodingKeys: String, CodingKey {
        case id
        case uuid
        case tokenName = "token_name"
        case tokenCodeHash = "token_code_hash"
        case accountId = "account_id"
        case scopes
        case expiresMs = "expires_ms"
    }
}

/// Repository visibility.
public enum Visibility: String, Sendable, Codable {
    case `public`
    case `private`
}

/// Repository state, with Quay's numbering.
public enum RepositoryState: Int, Sendable, Codable {
    case normal = 0
    case readOnly = 1
    case mirror = 2
    case markedForDeletion = 3
}

/// A repository together with its namespace's name. `visibility` is the effective one: a repository of a
/// public namespace is public.
public struct RepositoryRecord: Sendable, Equatable, Decodable {
    public let id: Int64
    public let namespaceId: Int64
    public let namespaceName: String
    public let name: String
    public let visibility: Visibility
    public let state: RepositoryState
    public let kind: String
    /// The namespace's own visibility: `protected` lets every signed-in user read the repository.
    public let namespaceVisibility: NamespaceVisibility
    /// The namespace's time-machine window (`removed_tag_expiration_s`).
    public let tagExpirationSeconds: Int64
    /// Bumped with every change to the repository's tags (see `TagPageAnchors`).
    public let tagVersion: Int64
    /// The team that owns the namespace (Portus), whose rules then also decide deletions.
    public let namespaceOwnerTeamId: Int64?

    enum CodingKeys: String, CodingKey {
        case id
        case namespaceId = "namespace_id"
        case namespaceName = "namespace_name"
        case name
        case visibility
        case state
        case kind
        case namespaceVisibility = "namespace_visibility"
        case tagExpirationSeconds = "removed_tag_expiration_s"
        case tagVersion = "tag_version"
        case namespaceOwnerTeamId = "owner_team_id"
    }
}

/// Repository roles, ordered `read < write < admin`.
public enum RepositoryRole: String, Sendable, Codable, Comparable, CaseIterable {
    case read
    case write
    case admin

    private var rank: Int {
        switch self {
        case .read: return 0
        case .write: return 1
        case .admin: return 2
        }
    }

    public static func < (lhs: RepositoryRole, rhs: RepositoryRole) -> Bool { lhs.rank < rhs.rank }
}

/// A blob known to the registry.
public struct BlobRecord: Sendable, Equatable, Decodable {
    public let id: Int64
    public let digest: String
    public let size: Int64

    enum CodingKeys: String, CodingKey {
        case id
        case digest
        case size
    }
}

/// An upload session.
public struct UploadRecord: Sendable, Equatable, Decodable {
    public let uuid: String
    public let repositoryId: Int64
    public let byteCount: Int64
    public let createdMs: Int64
    public let updatedMs: Int64
    /// The digest the upload's bytes were verified as, once its completion has begun moving them into
    /// place; nil before.
    public let committedDigest: String?

    /// The same session with `byteCount` bytes received.
    public func resized(to byteCount: Int64) -> UploadRecord {
        UploadRecord(uuid: uuid, repositoryId: repositoryId, byteCount: byteCount, createdMs: createdMs, updatedMs: updatedMs,
                     committedDigest: committedDigest)
    }

    enum CodingKeys: String, CodingKey {
        case uuid
        case repositoryId = "repository_id"
        case byteCount = "byte_count"
        case createdMs = "created_ms"
        case updatedMs = "updated_ms"
        case committedDigest = "committed_digest"
    }
}

/// A manifest with its exact bytes.
public struct ManifestRecord: Sendable, Equatable, Decodable {
    public let id: Int64
    public let digest: String
    public let mediaType: String
    public let manifestBytes: String
    public let size: Int64
    public let artifactType: String?
    public let subjectDigest: String?
    public let annotationsJson: String?

    enum CodingKeys: String, CodingKey {
        case id
        case digest
        case mediaType = "media_type"
        case manifestBytes = "manifest_bytes"
        case size
        case artifactType = "artifact_type"
        case subjectDigest = "subject_digest"
        case annotationsJson = "annotations_json"
    }
}

/// A manifest to be stored, with what it references.
public struct NewManifest: Sendable {
    public let repositoryId: Int64
    public let digest: String
    public let mediaType: String
    public let bytes: String
    public let size: Int64
    public let configMediaType: String?
    public let artifactType: String?
    public let subjectDigest: String?
    public let annotationsJson: String?
    public let layersSize: Int64
    public let blobDigests: [String]
    public let childDigests: [String]
    /// The labels of the image config, stored with the manifest (source `manifest`).
    public let labels: [String: String]

    public init(repositoryId: Int64, digest: String, mediaType: String, bytes: String, size: Int64,
                configMediaType: String?, artifactType: String?, subjectDigest: String?, annotationsJson: String?,
                layersSize: Int64, blobDigests: [String], childDigests: [String], labels: [String: String] = [:]) {
        self.repositoryId = repositoryId
        self.digest = digest
        self.mediaType = mediaType
        self.bytes = bytes
        self.size = size
        self.configMediaType = configMediaType
        self.artifactType = artifactType
        self.subjectDigest = subjectDigest
        self.annotationsJson = annotationsJson
        self.layersSize = layersSize
        self.blobDigests = blobDigests
        self.childDigests = childDigests
        self.labels = labels
    }
}

/// Where a pushed manifest points a tag.
public enum ManifestTarget: Sendable {
    /// A visible tag.
    case tag(String)
    /// Pushed by digest: a hidden temporary tag keeps it reachable until `expiresMs` (nil: forever).
    case hidden(expiresMs: Int64?)
}

/// Why a manifest could not be stored.
public enum ManifestStoreError: Error, Sendable, Equatable {
    case missingBlobs([String])
    case missingChildren([String])
}

/// Metadata failures the callers distinguish.
public enum MetadataError: Error, Sendable, Equatable {
    case conflict(String)
    case notFound(String)
}
