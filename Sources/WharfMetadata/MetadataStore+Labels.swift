import Foundation
import SQLKit

/// A label on a manifest: from the image config (`manifest`, immutable) or added through the API (`api`).
public struct LabelRecord: Sendable, Equatable, Decodable {
    public let uuid: String
    public let key: String
    public let value: String
    public let mediaType: String
    public let sourceType: String

    enum CodingKeys: String, CodingKey {
        case uuid
        case key = "label_key"
        case value = "label_value"
        case mediaType = "media_type"
        case sourceType = "source_type"
    }
}

extension MetadataStore {
    static let labelColumns: SQLQueryString = "l.uuid, l.label_key, l.label_value, l.media_type, l.source_type"
}

extension MetadataReading {
    /// The manifest's labels, those whose key starts with `keyPrefix` when given, oldest first.
    public func labels(manifestID: Int64, keyPrefix: String?) async throws -> [LabelRecord] {
        let filter: SQLQueryString = keyPrefix.map { "AND l.label_key LIKE \(bind: MetadataStore.escapeLike($0) + "%") ESCAPE '\\'" } ?? ""
        return try await all("""
            SELECT \(MetadataStore.labelColumns) FROM manifest_label ml JOIN label l ON l.id = ml.label_id
            WHERE ml.manifest_id = \(bind: manifestID) \(filter) ORDER BY l.id
            """, as: LabelRecord.self)
    }

    /// One label of the manifest.
    public func label(manifestID: Int64, uuid: String) async throws -> LabelRecord? {
        try await first("""
            SELECT \(MetadataStore.labelColumns) FROM manifest_label ml JOIN label l ON l.id = ml.label_id
            WHERE ml.manifest_id = \(bind: manifestID) AND l.uuid = \(bind: uuid)
            """, as: LabelRecord.self)
    }

    func insertLabel(manifestID: Int64, repositoryID: Int64, key: String, value: String, mediaType: String,
                     sourceType: String, db: any SQLDatabase) async throws -> LabelRecord {
        let uuid = UUID().uuidString.lowercased()
        let label = try await db.raw("""
            INSERT INTO label (uuid, label_key, label_value, media_type, source_type)
            VALUES (\(bind: uuid), \(bind: key), \(bind: value), \(bind: mediaType), \(bind: sourceType)) RETURNING id
            """).first(decoding: IDRow.self, with: decoder)!
        try await db.raw("""
            INSERT INTO manifest_label (manifest_id, label_id, repository_id) VALUES (\(bind: manifestID), \(bind: label.id), \(bind: repositoryID))
            """).run()
        return LabelRecord(uuid: uuid, key: key, value: value, mediaType: mediaType, sourceType: sourceType)
    }
}

extension StoreTransaction {
    /// Adds a label to the manifest.
    public func addLabel(manifestID: Int64, repositoryID: Int64, key: String, value: String, mediaType: String,
                         sourceType: String) async throws -> LabelRecord {
        try await pool.transaction { db in
            try await insertLabel(manifestID: manifestID, repositoryID: repositoryID, key: key, value: value,
                                  mediaType: mediaType, sourceType: sourceType, db: db)
        }
    }

    /// Deletes a label of the manifest; the deleted label, nil when there was none.
    public func deleteLabel(manifestID: Int64, uuid: String) async throws -> LabelRecord? {
        try await pool.transaction { db in
            guard let found = try await db.raw("""
                SELECT l.id, \(MetadataStore.labelColumns) FROM manifest_label ml JOIN label l ON l.id = ml.label_id
                WHERE ml.manifest_id = \(bind: manifestID) AND l.uuid = \(bind: uuid)
                """).first() else { return nil }
            let id = try found.decode(column: "id", as: Int64.self)
            try await db.raw("DELETE FROM manifest_label WHERE manifest_id = \(bind: manifestID) AND label_id = \(bind: id)").run()
            try await db.raw("DELETE FROM label WHERE id = \(bind: id)").run()
            return try found.decode(model: LabelRecord.self, with: decoder)
        }
    }
}
