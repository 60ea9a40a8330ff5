import Foundation
import SQLKit

extension MetadataStore {
    /// SQL condition: the link `rb` is alive at `now` (a manifest's, or an upload's not yet expired).
    static func linkAlive(_ now: Int64) -> SQLQueryString {
        "(rb.expires_ms IS NULL OR rb.expires_ms > \(bind: now))"
    }
}

extension MetadataReading {
    /// The blob `digest` if the repository serves it: referenced by one of its manifests, or uploaded (or
    /// mounted) into it and not yet expired — unless it was deleted from the repository since.
    public func linkedBlob(repositoryID: Int64, digest: String) async throws -> BlobRecord? {
        try await first("""
            SELECT b.id, b.digest, b.size FROM blob b JOIN repository_blob rb ON rb.blob_id = b.id
            WHERE b.digest = \(bind: digest) AND rb.repository_id = \(bind: repositoryID) AND \(MetadataStore.linkAlive(MetadataStore.nowMs()))
            """, as: BlobRecord.self)
    }

    public func upload(uuid: String, repositoryID: Int64) async throws -> UploadRecord? {
        try await first("""
            SELECT uuid, repository_id, byte_count, created_ms, updated_ms, committed_digest FROM blob_upload
            WHERE uuid = \(bind: uuid) AND repository_id = \(bind: repositoryID)
            """, as: UploadRecord.self)
    }

    /// The storage paths of the parts that make up the upload, in order.
    public func uploadParts(uuid: String) async throws -> [String] {
        try await all("SELECT path FROM blob_upload_part WHERE upload_uuid = \(bind: uuid) ORDER BY start_offset",
                      as: UploadPartsRow.self).map(\.path)
    }

    /// Which of `ids` are upload sessions.
    public func existingUploads(_ ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        var found = Set<String>()
        for start in stride(from: 0, to: ids.count, by: 500) {
            let batch = ids[start..<min(start + 500, ids.count)]
            let list = SQLList(batch.map { SQLBind($0) })
            found.formUnion(try await all("SELECT uuid FROM blob_upload WHERE uuid IN (\(list))", as: ExistingUploadsRow.self).map(\.uuid))
        }
        return found
    }

    /// Which of `digests` the metadata records: as a blob, or as the verified digest of an upload whose
    /// completion is under way (its bytes may already be in storage).
    public func recordedBlobs(_ digests: [String]) async throws -> Set<String> {
        guard !digests.isEmpty else { return [] }
        var found = Set<String>()
        for start in stride(from: 0, to: digests.count, by: 500) {
            let list = SQLList(digests[start..<min(start + 500, digests.count)].map { SQLBind($0) })
            found.formUnion(try await all("""
                SELECT digest FROM blob WHERE digest IN (\(list))
                UNION SELECT committed_digest AS digest FROM blob_upload WHERE committed_digest IN (\(list))
                """, as: RecordedBlobsRow.self).map(\.digest))
        }
        return found
    }

    /// Upload sessions not touched since `beforeMs`.
    public func staleUploads(beforeMs: Int64, limit: Int) async throws -> [String] {
        return try await all("""
            SELECT uuid FROM blob_upload WHERE updated_ms < \(bind: beforeMs) ORDER BY updated_ms LIMIT \(bind: limit)
            """, as: StaleUploadsRow.self).map(\.uuid)
    }
}

extension StoreTransaction {
    /// Records that `digest` (now in storage) was uploaded or mounted into a repository; the link keeps the
    /// blob reachable there until `expiresMs` unless a manifest references it first.
    public func linkUploadedBlob(repositoryID: Int64, digest: String, size: Int64, expiresMs: Int64) async throws {
        try await pool.transaction { db in
            try await linkUploadedBlob(repositoryID: repositoryID, digest: digest, size: size, expiresMs: expiresMs, db: db)
        }
    }

    fileprivate func linkUploadedBlob(repositoryID: Int64, digest: String, size: Int64, expiresMs: Int64, db: any SQLDatabase) async throws {
        try await db.raw("""
            INSERT INTO blob (digest, size, created_ms) VALUES (\(bind: digest), \(bind: size), \(bind: MetadataStore.nowMs()))
            ON CONFLICT (digest) DO NOTHING
            """).run()
        let blob = try await db.raw("SELECT id FROM blob WHERE digest = \(bind: digest)").first(decoding: IDRow.self, with: decoder)!
        // A link a manifest holds (no expiry) stays one; an upload's link gets the later expiry.
        try await db.raw("""
            INSERT INTO repository_blob (repository_id, blob_id, expires_ms) VALUES (\(bind: repositoryID), \(bind: blob.id), \(bind: expiresMs))
            ON CONFLICT (repository_id, blob_id) DO UPDATE SET expires_ms = CASE
                WHEN repository_blob.expires_ms IS NULL THEN NULL ELSE excluded.expires_ms END
            """).run()
    }

    /// Records that the upload's `byteCount` bytes were verified as `digest` and are about to be moved into
    /// place; false when the session is gone or has changed meanwhile.
    public func markUploadCommitted(uuid: String, byteCount: Int64, digest: String) async throws -> Bool {
        try await pool.transaction { db in
            try await db.raw("""
                UPDATE blob_upload SET committed_digest = \(bind: digest), updated_ms = \(bind: MetadataStore.nowMs())
                WHERE uuid = \(bind: uuid) AND byte_count = \(bind: byteCount) RETURNING uuid
                """).first() != nil
        }
    }

    /// Finishes a committed upload in one transaction: links its blob (now in storage) into the repository
    /// until `expiresMs` and ends the session.
    public func finishUpload(_ upload: UploadRecord, digest: String, expiresMs: Int64) async throws {
        try await pool.transaction { db in
            try await linkUploadedBlob(repositoryID: upload.repositoryId, digest: digest, size: upload.byteCount, expiresMs: expiresMs, db: db)
            try await db.raw("DELETE FROM blob_upload_part WHERE upload_uuid = \(bind: upload.uuid)").run()
            try await db.raw("DELETE FROM blob_upload WHERE uuid = \(bind: upload.uuid)").run()
        }
    }

    // MARK: Upload sessions

    public func createUpload(uuid: String, repositoryID: Int64) async throws {
        let now = MetadataStore.nowMs()
        try await run("""
            INSERT INTO blob_upload (uuid, repository_id, byte_count, created_ms, updated_ms)
            VALUES (\(bind: uuid), \(bind: repositoryID), 0, \(bind: now), \(bind: now))
            """)
    }

    /// Records the new size of an upload and the part that holds the bytes from `expected` on, only if
    /// the upload still had `expected` bytes (so of racing appends one wins).
    public func advanceUpload(uuid: String, from expected: Int64, to byteCount: Int64, part path: String) async throws -> Bool {
        try await pool.transaction { db in
            let rows = try await db.raw("""
                UPDATE blob_upload SET byte_count = \(bind: byteCount), updated_ms = \(bind: MetadataStore.nowMs())
                WHERE uuid = \(bind: uuid) AND byte_count = \(bind: expected) RETURNING uuid
                """).all()
            guard !rows.isEmpty else { return false }
            try await db.raw("""
                INSERT INTO blob_upload_part (upload_uuid, start_offset, byte_count, path)
                VALUES (\(bind: uuid), \(bind: expected), \(bind: byteCount - expected), \(bind: path))
                """).run()
            return true
        }
    }

    public func deleteUpload(uuid: String) async throws {
        try await run("DELETE FROM blob_upload_part WHERE upload_uuid = \(bind: uuid)")
        try await run("DELETE FROM blob_upload WHERE uuid = \(bind: uuid)")
    }
}

extension StoreTransaction {
    /// Removes `digest` from a repository, whatever linked it there (an upload, a mount or a manifest);
    /// false when the repository did not serve it. The bytes stay for garbage collection to decide.
    public func unlinkBlob(repositoryID: Int64, digest: String) async throws -> Bool {
        try await pool.transaction { db in
            try await db.raw("""
                DELETE FROM repository_blob WHERE repository_id = \(bind: repositoryID)
                AND blob_id = (SELECT id FROM blob WHERE digest = \(bind: digest)) AND (expires_ms IS NULL OR expires_ms > \(bind: MetadataStore.nowMs()))
                RETURNING blob_id
                """).first() != nil
        }
    }
}

private struct ExistingUploadsRow: Decodable { let uuid: String }

private struct RecordedBlobsRow: Decodable { let digest: String }

private struct StaleUploadsRow: Decodable { let uuid: String }

private struct UploadPartsRow: Decodable { let path: String }
