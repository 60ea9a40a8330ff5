import Foundation
import SQLKit

/// A repository as the starred list shows it.
public struct StarredRepository: Sendable, Equatable, Decodable {
    public let namespace: String
    public let name: String
    public let description: String?
    public let visibility: Visibility
}

extension MetadataReading {
    /// The repositories an account starred, in name order, from `offset`.
    public func starredRepositories(accountID: Int64, offset: Int, limit: Int) async throws -> [StarredRepository] {
        try await all("""
            SELECT a.username AS namespace, r.name, r.description, \(MetadataStore.effectiveVisibility) AS visibility FROM star s
            JOIN repository r ON r.id = s.repository_id JOIN account a ON a.id = r.namespace_id
            WHERE s.account_id = \(bind: accountID) AND r.state <> 3 ORDER BY a.username, r.name LIMIT \(bind: limit) OFFSET \(bind: offset)
            """, as: StarredRepository.self)
    }

    /// How many accounts starred the repository.
    public func starCount(repositoryID: Int64) async throws -> Int {
        return Int(try await first("SELECT COUNT(*) AS count FROM star WHERE repository_id = \(bind: repositoryID)", as: StarCountRow.self)?.count ?? 0)
    }
}

extension StoreTransaction {
    /// Stars a repository for an account (starring twice is harmless).
    public func star(accountID: Int64, repositoryID: Int64) async throws {
        try await run("""
            INSERT INTO star (account_id, repository_id, created_ms) VALUES (\(bind: accountID), \(bind: repositoryID), \(bind: MetadataStore.nowMs()))
            ON CONFLICT DO NOTHING
            """)
    }

    /// Removes a star (removing a missing one is harmless).
    public func unstar(accountID: Int64, repositoryID: Int64) async throws {
        try await run("DELETE FROM star WHERE account_id = \(bind: accountID) AND repository_id = \(bind: repositoryID)")
    }
}

private struct StarCountRow: Decodable { let count: Int64 }
