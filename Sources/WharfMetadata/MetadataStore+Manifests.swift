import Foundation
import SQLKit

extension MetadataStore {
    static let manifestColumns: SQLQueryString =
        "m.id, m.digest, m.media_type, m.manifest_bytes, m.size, m.artifact_type, m.subject_digest, m.annotations_json"

    /// SQL condition: tag row `t` is alive at `now`.
    static func alive(_ now: Int64) -> SQLQueryString {
        "(t.lifetime_end_ms IS NULL OR t.lifetime_end_ms > \(bind: now))"
    }
}

extension MetadataReading {
    /// Whether the tag name has history rows (it was deleted or has expired).
    public func tagHasHistory(repositoryID: Int64, tag: String) async throws -> Bool {
        try await first("SELECT id FROM tag WHERE repository_id = \(bind: repositoryID) AND name = \(bind: tag) AND hidden = FALSE LIMIT 1",
                        as: IDRow.self) != nil
    }

    /// A manifest by digest, if reachable: referenced by an alive tag (hidden ones included) or a child of
    /// a manifest that is.
    public func reachableManifest(repositoryID: Int64, digest: String) async throws -> ManifestRecord? {
        let now = MetadataStore.nowMs()
        return try await first("""
            SELECT \(MetadataStore.manifestColumns) FROM manifest m
            WHERE m.repository_id = \(bind: repositoryID) AND m.digest = \(bind: digest) AND (
                EXISTS (SELECT 1 FROM tag t WHERE t.manifest_id = m.id AND \(MetadataStore.alive(now)))
                OR EXISTS (SELECT 1 FROM manifest_child c JOIN tag t ON t.manifest_id = c.manifest_id
                           WHERE c.child_manifest_id = m.id AND \(MetadataStore.alive(now))))
            """, as: ManifestRecord.self)
    }

    /// The ids of the blobs and child manifests `manifest` references, each of which the repository must
    /// serve, and of the blobs linked only for a while; `ManifestStoreError` names those it does not serve.
    fileprivate func references(of manifest: NewManifest, now: Int64, db: any SQLDatabase)
        async throws -> (blobs: [Int64], children: [Int64], temporarilyLinked: [Int64]) {
        var blobIDs: [String: Int64] = [:]
        var temporarilyLinked: [Int64] = []
        let blobDigests = Set(manifest.blobDigests).sorted()
        for chunk in blobDigests.chunked(MetadataStore.inListLimit) {
            let rows = try await db.raw("""
                SELECT b.id, b.digest, rb.expires_ms FROM blob b JOIN repository_blob rb ON rb.blob_id = b.id
                WHERE b.digest IN (\(SQLList(chunk.map { SQLBind($0) }))) AND rb.repository_id = \(bind: manifest.repositoryId)
                AND \(MetadataStore.linkAlive(now))
                """).all(decoding: LinkedBlobRow.self, with: decoder)
            for row in rows {
                blobIDs[row.digest] = row.id
                if row.expires_ms != nil { temporarilyLinked.append(row.id) }
            }
        }
        let missingBlobs = blobDigests.filter { blobIDs[$0] == nil }
        guard missingBlobs.isEmpty else { throw ManifestStoreError.missingBlobs(missingBlobs) }
        var childIDs: [String: Int64] = [:]
        let childDigests = Set(manifest.childDigests).sorted()
        for chunk in childDigests.chunked(MetadataStore.inListLimit) {
            let rows = try await db.raw("""
                SELECT id, digest FROM manifest WHERE repository_id = \(bind: manifest.repositoryId)
                AND digest IN (\(SQLList(chunk.map { SQLBind($0) })))
                """).all(decoding: DigestIDRow.self, with: decoder)
            for row in rows { childIDs[row.digest] = row.id }
        }
        let missingChildren = childDigests.filter { childIDs[$0] == nil }
        guard missingChildren.isEmpty else { throw ManifestStoreError.missingChildren(missingChildren) }
        return (blobDigests.compactMap { blobIDs[$0] }, childDigests.compactMap { childIDs[$0] }, temporarilyLinked)
    }

    fileprivate func insertManifest(_ manifest: NewManifest, blobIDs: [Int64], childIDs: [Int64], now: Int64, db: any SQLDatabase) async throws -> ManifestRecord {
        let record = try await db.raw("""
            INSERT INTO manifest (repository_id, digest, media_type, manifest_bytes, size, config_media_type, artifact_type,
                                  subject_digest, annotations_json, layers_size, created_ms)
            VALUES (\(bind: manifest.repositoryId), \(bind: manifest.digest), \(bind: manifest.mediaType), \(bind: manifest.bytes),
                    \(bind: manifest.size), \(bind: manifest.configMediaType), \(bind: manifest.artifactType), \(bind: manifest.subjectDigest),
                    \(bind: manifest.annotationsJson), \(bind: manifest.layersSize), \(bind: now))
            RETURNING id, digest, media_type, manifest_bytes, size, artifact_type, subject_digest, annotations_json
            """).first(decoding: ManifestRecord.self, with: decoder)!
        for blobID in blobIDs {
            try await db.raw("""
                INSERT INTO manifest_blob (manifest_id, blob_id, repository_id) VALUES (\(bind: record.id), \(bind: blobID), \(bind: manifest.repositoryId))
                """).run()
        }
        for childID in childIDs {
            try await db.raw("""
                INSERT INTO manifest_child (manifest_id, child_manifest_id, repository_id)
                VALUES (\(bind: record.id), \(bind: childID), \(bind: manifest.repositoryId))
                """).run()
        }
        for (key, value) in manifest.labels.sorted(by: { $0.key < $1.key }) {
            _ = try await insertLabel(manifestID: record.id, repositoryID: manifest.repositoryId, key: key, value: value,
                                      mediaType: "text/plain", sourceType: "manifest", db: db)
        }
        return record
    }

    /// Ends the alive rows of tag `name` (`hasAliveRow`: whether it has any) and opens a new one pointing
    /// at `manifestID` (the time machine keeps the old rows), ending at `end` (nil: never); a `reversion`
    /// is a restore through the time machine.
    func retargetTag(repositoryID: Int64, name: String, manifestID: Int64, hasAliveRow: Bool, now: Int64, end: Int64?,
                     reversion: Bool, pusherID: Int64?, db: any SQLDatabase) async throws {
        if hasAliveRow { try await endTagRows(repositoryID: repositoryID, name: name, now: now, db: db) }
        try await db.raw("""
            INSERT INTO tag (repository_id, name, manifest_id, lifetime_start_ms, lifetime_end_ms, hidden, reversion, pusher_id)
            VALUES (\(bind: repositoryID), \(bind: name), \(bind: manifestID), \(bind: now), \(bind: end), FALSE, \(bind: reversion), \(bind: pusherID))
            """).run()
    }

    /// Ends every alive row of tag `name`, each at a distinct instant so that history rows stay unique.
    fileprivate func endTagRows(repositoryID: Int64, name: String, now: Int64, db: any SQLDatabase) async throws {
        let rows = try await db.raw("""
            SELECT t.id FROM tag t WHERE t.repository_id = \(bind: repositoryID) AND t.name = \(bind: name) AND \(MetadataStore.alive(now))
            """).all(decoding: IDRow.self, with: decoder)
        for row in rows {
            try await db.raw("UPDATE tag SET lifetime_end_ms = \(bind: now) WHERE id = \(bind: row.id)").run()
        }
    }

    /// Names of the visible, alive tags after `last`, in name order.
    public func tagNames(repositoryID: Int64, after last: String?, limit: Int) async throws -> [String] {
        return try await all("""
            SELECT t.name FROM tag t WHERE t.repository_id = \(bind: repositoryID) AND t.hidden = FALSE
            AND \(MetadataStore.alive(MetadataStore.nowMs())) AND t.name > \(bind: last ?? "") ORDER BY t.name LIMIT \(bind: limit)
            """, as: TagNamesRow.self).map(\.name)
    }

    /// Names of the visible, alive tags pointing at the manifest `digest`, in name order.
    public func tagNames(repositoryID: Int64, pointingAt digest: String) async throws -> [String] {
        try await all("""
            SELECT t.name FROM tag t JOIN manifest m ON m.id = t.manifest_id
            WHERE t.repository_id = \(bind: repositoryID) AND m.digest = \(bind: digest) AND t.hidden = FALSE
            AND \(MetadataStore.alive(MetadataStore.nowMs())) ORDER BY t.name
            """, as: TagNamesRow.self).map(\.name)
    }

    /// Reachable manifests of the repository whose `subject` is `digest`, optionally of one artifact type.
    public func referrers(repositoryID: Int64, subject digest: String, artifactType: String?) async throws -> [ManifestRecord] {
        let now = MetadataStore.nowMs()
        let filter: SQLQueryString = artifactType.map { "AND m.artifact_type = \(bind: $0)" } ?? ""
        return try await all("""
            SELECT \(MetadataStore.manifestColumns) FROM manifest m
            WHERE m.repository_id = \(bind: repositoryID) AND m.subject_digest = \(bind: digest) \(filter)
            AND EXISTS (SELECT 1 FROM tag t WHERE t.manifest_id = m.id AND \(MetadataStore.alive(now)))
            ORDER BY m.digest
            """, as: ManifestRecord.self)
    }
}

extension StoreTransaction {
    /// Stores a manifest (or reuses the stored copy) and links the blobs it references into its repository
    /// for good. Throws `ManifestStoreError` when a referenced blob or child manifest is not in the
    /// repository. Nothing points at the manifest yet: a tag (`moveTag`) or a hidden tag (`addHiddenTag`) must.
    public func storeManifest(_ manifest: NewManifest) async throws -> ManifestRecord {
        try await pool.transaction { db in
            let now = MetadataStore.nowMs()
            if pool.engine == .postgres {
                try await db.raw("SELECT id FROM repository WHERE id = \(bind: manifest.repositoryId) FOR UPDATE").run()
            }
            let (blobIDs, childIDs, temporarilyLinked) = try await references(of: manifest, now: now, db: db)
            var record = try await db.raw("""
                SELECT \(MetadataStore.manifestColumns) FROM manifest m WHERE m.repository_id = \(bind: manifest.repositoryId) AND m.digest = \(bind: manifest.digest)
                """).first(decoding: ManifestRecord.self, with: decoder)
            if record == nil {
                record = try await insertManifest(manifest, blobIDs: blobIDs, childIDs: childIDs, now: now, db: db)
            }
            // Links made by an upload or a mount expire unless a manifest makes them permanent.
            for chunk in temporarilyLinked.chunked(MetadataStore.inListLimit) {
                try await db.raw("""
                    UPDATE repository_blob SET expires_ms = NULL WHERE repository_id = \(bind: manifest.repositoryId)
                    AND blob_id IN (\(SQLList(chunk.map { SQLBind($0) })))
                    """).run()
            }
            return record!
        }
    }

    /// Keeps `manifestID` reachable without a visible tag (a push by digest) until `expiresMs`, or for as
    /// long as a tag could (nil: a manifest with a subject stays while its subject's referrers are listed).
    public func addHiddenTag(repositoryID: Int64, manifestID: Int64, expiresMs: Int64?) async throws {
        try await pool.transaction { db in
            let now = MetadataStore.nowMs()
            try await db.raw("""
                INSERT INTO tag (repository_id, name, manifest_id, lifetime_start_ms, lifetime_end_ms, hidden)
                VALUES (\(bind: repositoryID), \(bind: "$temp-" + UUID().uuidString.lowercased()), \(bind: manifestID),
                        \(bind: now), \(bind: expiresMs), TRUE)
                """).run()
            try await noteTagChange(repositoryID: repositoryID, modifiedAt: now, db: db)
        }
    }

    /// Ends tag `name` (it stays in the history for the time machine). False when no such alive tag.
    public func deleteTag(repositoryID: Int64, name: String) async throws -> Bool {
        try await pool.transaction { db in
            let now = MetadataStore.nowMs()
            let alive = try await db.raw("""
                SELECT t.id FROM tag t WHERE t.repository_id = \(bind: repositoryID) AND t.name = \(bind: name)
                AND t.hidden = FALSE AND \(MetadataStore.alive(now))
                """).first()
            guard alive != nil else { return false }
            try await endTagRows(repositoryID: repositoryID, name: name, now: now, db: db)
            try await noteTagChange(repositoryID: repositoryID, modifiedAt: now, db: db)
            return true
        }
    }

    /// Ends every alive tag (hidden ones included) pointing at the manifest `digest`, making it unreachable.
    /// False when the manifest was not reachable.
    public func deleteManifest(repositoryID: Int64, digest: String) async throws -> Bool {
        guard let manifest = try await reachableManifest(repositoryID: repositoryID, digest: digest) else { return false }
        return try await pool.transaction { db in
            let now = MetadataStore.nowMs()
            let rows = try await db.raw("""
                SELECT t.id FROM tag t WHERE t.manifest_id = \(bind: manifest.id) AND \(MetadataStore.alive(now))
                """).all(decoding: IDRow.self, with: decoder)
            for row in rows {
                try await db.raw("UPDATE tag SET lifetime_end_ms = \(bind: now) WHERE id = \(bind: row.id)").run()
            }
            try await noteTagChange(repositoryID: repositoryID, modifiedAt: now, db: db)
            return true
        }
    }

    /// Marks manifests as not scanned, for the security scanner to take up again: all of them, or the one
    /// tag `tagID` points at.
    public func requestRescan(tagID: Int64?) async throws {
        let target: SQLQueryString = tagID.map { "WHERE id = (SELECT manifest_id FROM tag WHERE id = \(bind: $0))" } ?? ""
        try await run("UPDATE manifest SET scan_state = 0 \(target)")
    }
}

private struct TagNamesRow: Decodable { let name: String }

/// A blob linked into a repository, and until when (nil: for good).
private struct LinkedBlobRow: Decodable { let id: Int64; let digest: String; let expires_ms: Int64? }
