import Logging
import ServiceLifecycle
import WharfMetadata
import WharfStorage

/// Removes upload sessions abandoned for longer than the configured expiry, with their staged bytes.
public struct UploadJanitor: Service {
    let store: MetadataStore
    let blobs: any BlobStore
    let expirySeconds: Int64
    let interval: Duration
    let logger: Logger

    /// Removes the expired sessions once; returns how many were removed.
    @discardableResult
    public func sweep() async throws -> Int {
        let cutoff = MetadataStore.nowMs() - expirySeconds * 1000
        var removed = 0
        while true {
            let stale = try await store.staleUploads(beforeMs: cutoff, limit: 100)
            if stale.isEmpty { return removed }
            for id in stale {
                try await blobs.deleteUpload(id: id)
                try await store.deleteUpload(uuid: id)
                removed += 1
            }
        }
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
