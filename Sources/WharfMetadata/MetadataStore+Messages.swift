import Foundation
import SQLKit

/// A message shown to every user of the registry (Quay's global messages).
public struct GlobalMessageRecord: Sendable, Equatable, Decodable {
    public let uuid: String
    public let content: String
    public let mediaType: String
    public let severity: String

    enum CodingKeys: String, CodingKey {
        case uuid
        case content
        case mediaType = "media_type"
        case severity
    }
}

extension MetadataReading {
    /// Every global message, oldest first.
    public func globalMessages() async throws -> [GlobalMessageRecord] {
        try await all("SELECT uuid, content, media_type, severity FROM global_message ORDER BY id", as: GlobalMessageRecord.self)
    }
}

extension StoreTransaction {
    /// Adds a global message; returns its UUID.
    public func createGlobalMessage(content: String, mediaType: String, severity: String) async throws -> String {
        let uuid = UUID().uuidString.lowercased()
        try await run("""
            INSERT INTO global_message (uuid, content, media_type, severity)
            VALUES (\(bind: uuid), \(bind: content), \(bind: mediaType), \(bind: severity))
            """)
        return uuid
    }

    /// Deletes a global message (deleting a missing one is harmless).
    public func deleteGlobalMessage(uuid: String) async throws {
        try await run("DELETE FROM global_message WHERE uuid = \(bind: uuid)")
    }
}
