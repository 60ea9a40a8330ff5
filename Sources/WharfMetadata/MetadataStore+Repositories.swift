import Foundation
import SQLKit

extension MetadataStore {
    static let repositoryColumns: SQLQueryString = """
        r.id, r.namespace_id, a.username AS namespace_name, r.name, \(effectiveVisibility) AS visibility, r.state, r.kind,
        a.namespace_visibility, a.removed_tag_expiration_s, r.tag_version, a.owner_team_id
        """

    /// A repository's visibility as it applies: public when it or its namespace (`a`) is public.
    static let effectiveVisibility: SQLQueryString = "CASE WHEN a.namespace_visibility = 'public' THEN 'public' ELSE r.visibility END"

    /// The repository `namespace/name` and the manifest its visible, alive tag `tag` points at, in one
    /// query (the hot path of a pull by tag). The manifest is nil when the tag does not exist.
    /// Answers may come from the short-lived `LookupCache`.
    public func repositoryAndTaggedManifest(namespace: String, name: String, tag: String) async throws -> (RepositoryRecord, ManifestRecord?)? {
        let key = "\(namespace)/\(name):\(tag)"
        if let hit = lookups.get(key) { return (hit.repository, hit.manifest) }
        let generation = lookups.generation
        let found = try await lookUpRepositoryAndTaggedManifest(namespace: namespace, name: name, tag: tag)
        if let found { lookups.put(key, (found.0, found.1), generation: generation) }
        return found
    }
}

extension MetadataReading {
    /// The repository `namespace/name`, unless it is marked for deletion.
    public func repository(namespace: String, name: String) async throws -> RepositoryRecord? {
        try await first("""
            SELECT \(MetadataStore.repositoryColumns) FROM repository r JOIN account a ON a.id = r.namespace_id
            WHERE a.username = \(bind: namespace) AND r.name = \(bind: name) AND r.state <> 3
            """, as: RepositoryRecord.self)
    }

    /// The repository with id `id`, unless it is marked for deletion.
    public func repository(id: Int64) async throws -> RepositoryRecord? {
        try await first("""
            SELECT \(MetadataStore.repositoryColumns) FROM repository r JOIN account a ON a.id = r.namespace_id
            WHERE r.id = \(bind: id) AND r.state <> 3
            """, as: RepositoryRecord.self)
    }

    fileprivate func lookUpRepositoryAndTaggedManifest(namespace: String, name: String, tag: String) async throws -> (RepositoryRecord, ManifestRecord?)? {
        let now = MetadataStore.nowMs()
        return try await pool.withDatabase { db in
            guard let row = try await db.raw("""
                SELECT \(MetadataStore.repositoryColumns), m.id AS m_id, m.digest AS m_digest, m.media_type AS m_media_type,
                       m.manifest_bytes AS m_manifest_bytes, m.size AS m_size, m.artifact_type AS m_artifact_type,
                       m.subject_digest AS m_subject_digest, m.annotations_json AS m_annotations_json
                FROM repository r JOIN account a ON a.id = r.namespace_id
                LEFT JOIN tag t ON t.repository_id = r.id AND t.name = \(bind: tag) AND t.hidden = FALSE AND \(MetadataStore.alive(now))
                LEFT JOIN manifest m ON m.id = t.manifest_id
                WHERE a.username = \(bind: namespace) AND r.name = \(bind: name) AND r.state <> 3
                """).first() else { return nil }
            let repository = try row.decode(model: RepositoryRecord.self, with: decoder)
            guard try row.decode(column: "m_id", as: Int64?.self) != nil else { return (repository, nil) }
            return (repository, try row.decode(model: ManifestRecord.self, with: SQLRowDecoder(prefix: "m_")))
        }
    }

    /// The explicit role granted to `accountID` on a repository.
    public func explicitRole(accountID: Int64, repositoryID: Int64) async throws -> RepositoryRole? {
        try await pool.withDatabase { db in
            try await db.raw("""
                SELECT role FROM repository_permission WHERE repository_id = \(bind: repositoryID) AND account_id = \(bind: accountID)
                """).first(decodingColumn: "role", as: String.self)
        }.flatMap(RepositoryRole.init(rawValue:))
    }

    /// Whether any repository exists.
    public func hasRepositories() async throws -> Bool {
        try await first("SELECT id FROM repository LIMIT 1", as: IDRow.self) != nil
    }

    /// The repositories `accountID` may read, in id order after `afterID` (Quay's catalog order).
    ///
    /// As in Quay, public repositories of others are not listed; a user sees their own namespace,
    /// repositories they or their teams hold a permission on, every repository of organizations they administer,
    /// and every repository of namespaces whose owning team they are in.
    public func catalog(accountID: Int64, afterID: Int64, limit: Int) async throws -> [CatalogEntry] {
        try await all("""
            SELECT r.id, a.username || '/' || r.name AS full_name FROM repository r JOIN account a ON a.id = r.namespace_id
            WHERE r.state <> 3 AND r.id > \(bind: afterID) AND (\(MetadataStore.holdsRole(viewer: accountID)))
            ORDER BY r.id LIMIT \(bind: limit)
            """, as: CatalogEntry.self)
    }
}

extension StoreTransaction {
    /// Creates the repository `name` in a namespace; nil when it exists already (created meanwhile). Who
    /// may do what with it is the domain's to grant.
    public func createRepository(namespaceID: Int64, name: String, visibility: Visibility) async throws -> RepositoryRecord? {
        let now = MetadataStore.nowMs()
        guard let inserted = try await db.raw("""
            INSERT INTO repository (namespace_id, name, visibility, created_ms, last_modified_ms)
            VALUES (\(bind: namespaceID), \(bind: name), \(bind: visibility.rawValue), \(bind: now), \(bind: now))
            ON CONFLICT (namespace_id, name) DO NOTHING RETURNING id
            """).first(decoding: IDRow.self, with: decoder) else { return nil }
        return try await db.raw("""
            SELECT \(MetadataStore.repositoryColumns) FROM repository r JOIN account a ON a.id = r.namespace_id WHERE r.id = \(bind: inserted.id)
            """).first(decoding: RepositoryRecord.self, with: decoder)
    }

    /// Grants `role` on a repository to an account, unless it holds a role there already.
    public func addPermission(repositoryID: Int64, accountID: Int64, role: RepositoryRole) async throws {
        try await run("""
            INSERT INTO repository_permission (repository_id, account_id, role) VALUES (\(bind: repositoryID), \(bind: accountID), \(bind: role.rawValue))
            ON CONFLICT (repository_id, account_id) DO NOTHING
            """)
    }

    /// Grants `role` on a repository to a team, unless it holds a role there already.
    public func addTeamPermission(repositoryID: Int64, teamID: Int64, role: RepositoryRole) async throws {
        try await run("""
            INSERT INTO team_repository_permission (repository_id, team_id, role) VALUES (\(bind: repositoryID), \(bind: teamID), \(bind: role.rawValue))
            ON CONFLICT (repository_id, team_id) DO NOTHING
            """)
    }

    /// Grants `role` on a repository to an account (replacing any role it had there).
    public func setPermission(repositoryID: Int64, accountID: Int64, role: RepositoryRole) async throws {
        try await run("""
            INSERT INTO repository_permission (repository_id, account_id, role) VALUES (\(bind: repositoryID), \(bind: accountID), \(bind: role.rawValue))
            ON CONFLICT (repository_id, account_id) DO UPDATE SET role = excluded.role
            """)
    }

    /// Sets a repository's description.
    public func setDescription(repositoryID: Int64, _ description: String?) async throws {
        try await run("UPDATE repository SET description = \(bind: description) WHERE id = \(bind: repositoryID)")
    }

    /// Sets a repository's state (normal, read-only, mirror).
    public func setState(repositoryID: Int64, _ state: RepositoryState) async throws {
        try await run("UPDATE repository SET state = \(bind: state.rawValue) WHERE id = \(bind: repositoryID)")
    }

    /// Deletes a repository with its tags, manifests, blob links, permissions, stars and upload sessions;
    /// the blobs themselves are left to garbage collection, staged upload bytes to the janitor.
    public func deleteRepository(id: Int64) async throws {
        try await run("DELETE FROM repository WHERE id = \(bind: id)")
    }

    /// Makes a repository public or private.
    public func setVisibility(repositoryID: Int64, _ visibility: Visibility) async throws {
        try await run("UPDATE repository SET visibility = \(bind: visibility.rawValue) WHERE id = \(bind: repositoryID)")
    }
}

/// What the repository view shows beyond the repository record.
public struct RepositoryDetail: Sendable, Equatable, Decodable {
    public let description: String?
    public let namespaceIsOrganization: Bool
    public let tagExpirationSeconds: Int64

    enum CodingKeys: String, CodingKey {
        case description
        case namespaceIsOrganization = "is_organization"
        case tagExpirationSeconds = "removed_tag_expiration_s"
    }
}

/// An alive, visible tag with its manifest's digest and size.
public struct TagSummary: Sendable, Equatable, Decodable {
    public let name: String
    public let manifestDigest: String
    public let size: Int64
    public let startMs: Int64
    public let endMs: Int64?

    enum CodingKeys: String, CodingKey {
        case name
        case manifestDigest = "digest"
        case size = "layers_size"
        case startMs = "lifetime_start_ms"
        case endMs = "lifetime_end_ms"
    }
}

extension MetadataReading {
    /// The description and the namespace facts of a repository.
    public func repositoryDetail(id: Int64) async throws -> RepositoryDetail? {
        try await first("""
            SELECT r.description, a.is_organization, a.removed_tag_expiration_s FROM repository r JOIN account a ON a.id = r.namespace_id
            WHERE r.id = \(bind: id)
            """, as: RepositoryDetail.self)
    }

    /// The repository's alive, visible tags, most recently moved first, at most `limit`.
    public func aliveTags(repositoryID: Int64, limit: Int) async throws -> [TagSummary] {
        try await all("""
            SELECT t.name, m.digest, m.layers_size, t.lifetime_start_ms, t.lifetime_end_ms FROM tag t JOIN manifest m ON m.id = t.manifest_id
            WHERE t.repository_id = \(bind: repositoryID) AND t.hidden = FALSE AND \(MetadataStore.alive(MetadataStore.nowMs()))
            ORDER BY t.lifetime_start_ms DESC, t.id DESC LIMIT \(bind: limit)
            """, as: TagSummary.self)
    }

    /// Whether the account starred the repository.
    public func hasStarred(accountID: Int64, repositoryID: Int64) async throws -> Bool {
        try await pool.withDatabase { db in
            try await db.raw("SELECT 1 AS one FROM star WHERE account_id = \(bind: accountID) AND repository_id = \(bind: repositoryID)").first() != nil
        }
    }
}

/// A repository in the registry catalog.
public struct CatalogEntry: Sendable, Equatable, Decodable {
    public let id: Int64
    /// `namespace/name`.
    public let fullName: String

    enum CodingKeys: String, CodingKey {
        case id
        case fullName = "full_name"
    }
}
