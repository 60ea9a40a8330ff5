import Foundation
import Logging
import WharfMetadata

/// Runs `body` with a freshly migrated store on each test database: SQLite in a temporary file, and
/// PostgreSQL (its `public` schema emptied first) when `WHARF_TEST_POSTGRES_URI` names a server. `body`
/// gets the database's URI (nil: SQLite) and the SQLite path, to open more stores on the same database.
public func withEachTestStore(_ body: (MetadataStore, _ uri: String?, _ sqlitePath: String) async throws -> Void) async throws {
    var uris: [String?] = [nil]
    if let postgres = ProcessInfo.processInfo.environment["WHARF_TEST_POSTGRES_URI"], !postgres.isEmpty { uris.append(postgres) }
    var logger = Logger(label: "wharf-test")
    logger.logLevel = .warning
    for uri in uris {
        if let uri {
            let pool = try await DatabasePool.open(uri: uri, defaultSQLitePath: "", logger: logger)
            try await pool.withDatabase { db in
                try await db.raw("DROP SCHEMA public CASCADE").run()
                try await db.raw("CREATE SCHEMA public").run()
            }
            try await pool.shutdown()
        }
        let path = NSTemporaryDirectory() + "wharf-store-\(UUID().uuidString).db"
        let store = try await MetadataStore.open(uri: uri, defaultSQLitePath: path, logger: logger)
        do {
            try await body(store, uri, path)
        } catch {
            try? await store.shutdown()
            throw error
        }
        try await store.shutdown()
        try? FileManager.default.removeItem(atPath: path)
    }
}
