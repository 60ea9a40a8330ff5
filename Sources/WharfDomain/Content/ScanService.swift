import WharfMetadata

/// Requests to scan images again for vulnerabilities (the scanner, once configured, takes them up).
public struct ScanService: Sendable {
    let store: MetadataStore

    public init(store: MetadataStore) {
        self.store = store
    }

    /// Marks every manifest, or the one tag `tagID` points at, as not scanned.
    public func requestRescan(tagID: Int64?, by performer: Performer) async throws {
        try await store.transaction { tx in
            try await tx.requestRescan(tagID: tagID)
            try await tx.emit(.rescanRequest, by: performer, details: ["tag_id": tagID.map(String.init)])
        }
    }
}
