import WharfMetadata

/// The messages superusers show every user of the registry (Quay's global messages).
public struct MessageService: Sendable {
    let store: MetadataStore

    public init(store: MetadataStore) {
        self.store = store
    }

    /// Publishes a message; its uuid.
    @discardableResult
    public func create(content: String, mediaType: String, severity: String, by performer: Performer) async throws -> String {
        try await store.transaction { tx in
            let uuid = try await tx.createGlobalMessage(content: content, mediaType: mediaType, severity: severity)
            try await tx.emit(.messageCreate, by: performer, details: ["uuid": uuid, "severity": severity])
            return uuid
        }
    }

    /// Withdraws the message `uuid` (withdrawing a missing one is harmless).
    public func delete(uuid: String, by performer: Performer) async throws {
        try await store.transaction { tx in
            try await tx.deleteGlobalMessage(uuid: uuid)
            try await tx.emit(.messageDelete, by: performer, details: ["uuid": uuid])
        }
    }
}
