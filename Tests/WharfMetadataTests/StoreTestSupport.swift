import Foundation
import Logging
import WharfMetadata
import XCTest

extension XCTestCase {
    /// Runs `body` with a freshly migrated store on each test database.
    func withEachStore(_ body: (MetadataStore) async throws -> Void) async throws {
        var uris: [String?] = [nil]
        if let postgres = ProcessInfo.processInfo.environment["WHARF_TEST_POSTGRES_URI"], !postgres.isEmpty { uris.append(postgres) }
        for uri in uris {
            if let uri {
                let pool = try await DatabasePool.open(uri: uri, defaultSQLitePath: "", logger: Logger(label: "test"))
                try await pool.withDatabase { db in
                    try await db.raw("DROP SCHEMA public CASCADE").run()
                    try await db.raw("CREATE SCHEMA public").run()
                }
                try await pool.shutdown()
            }
            let path = NSTemporaryDirectory() + "wharf-store-\(UUID().uuidString).db"
            let store = try await MetadataStore.open(uri: uri, defaultSQLitePath: path, logger: Logger(label: "test"))
            do {
                try await body(store)
            } catch {
                try? await store.shutdown()
                throw error
            }
            try await store.shutdown()
        }
    }
}
