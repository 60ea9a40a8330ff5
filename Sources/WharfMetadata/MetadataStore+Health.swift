import Foundation
import SQLKit

extension MetadataStore {
    /// How many schema versions the code knows.
    public static var knownSchemaVersion: Int { Schema.migrations.count }
}

extension MetadataReading {
    /// Whether the database answers, and the schema version it is at.
    public func schemaVersion() async throws -> Int {
        try await pool.withDatabase { db in
            try await db.raw("SELECT MAX(version) AS version FROM schema_version").first(decodingColumn: "version", as: Int?.self) ?? 0
        } ?? 0
    }
}
