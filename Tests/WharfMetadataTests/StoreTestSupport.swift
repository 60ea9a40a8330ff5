import WharfMetadata
import WharfTestSupport
import XCTest

extension XCTestCase {
    /// Runs `body` with a freshly migrated store on each test database.
    func withEachStore(_ body: (MetadataStore) async throws -> Void) async throws {
        try await withEachTestStore { store, _, _ in try await body(store) }
    }
}
