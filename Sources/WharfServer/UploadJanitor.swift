import Foundation
import Logging
import ServiceLifecycle
import WharfMetadata
import WharfStorage

/// Removes upload sessions abandoned for longer than the configured expiry, with their staged bytes,
/// and staged bytes no session owns any more (their repository or namespace was deleted).
public struct UploadJanitor: Service {
    let store: MetadataStore
    let blobs: any BlobStore
    let expirySeconds: Int64
    let interval: Duration
    let logger: Logger

    /// Removes the expired sessions and the orphaned staged uploads once; returns how many were removed.
    @discardableResult
    public func sweep() async throws -> Int {
        let cutoff = MetadataStore.nowMs() - expirySeconds * 1000
        var removed = 0
        while true {
            let stale = try await store.staleUploads(beforeMs: cutoff, limit: 100)
            if stale.isEmpty { break }
            for id in stale {
                try await blobs.deleteUpload(id: id)
                try await store.deleteUpload(uuid: id)
                removed += 1
            }
        }
        let staged = try await blobs.stagedUploads(lastWrittenBefore: Date(timeIntervalSince1970: Double(cutoff) / 1000))
        let owned = try await store.existingUploads(staged)
        for id in staged where !owned.contains(id) {
            try await blobs.deleteUpload(id: id)
            removed += 1
        }
        return removed
    }

    /// Sweeps at every interval until the server shuts down.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let removed = try await sweep()
                    if removed > 0 { logger.info("removed abandoned uploads", metadata: ["count": "\(removed)"]) }
                } catch {
                    logger.warning("upload sweep failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
