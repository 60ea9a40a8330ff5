import Foundation
import Logging
import ServiceLifecycle
import WharfDomain
import WharfFaults
import WharfMetadata
import WharfOCI
import WharfStorage

/// Keeps storage and metadata in step: removes upload sessions abandoned for longer than the configured
/// expiry, with their staged bytes, and reconciles what a crash or a deleted repository left behind —
/// staged bytes no session owns, and stored blobs no row records. Leftovers are removed only once they are
/// older than a grace period, so an upload in flight is never touched; each removal is logged.
public struct UploadJanitor: Service {
    let store: MetadataStore
    let blobs: BlobStore
    let uploads: UploadService
    let expirySeconds: Int64
    /// How old a leftover must be before it is removed (`STORAGE_RECONCILE_GRACE_SEC`).
    let graceSeconds: Int64
    let interval: Duration
    /// How often the stored blobs are walked (a whole listing), at most.
    let blobInterval: Duration
    let logger: Logger

    /// What one sweep removed.
    public struct Sweep: Sendable, Equatable {
        public var expiredUploads = 0
        public var orphanedStagedUploads = 0
        public var unrecordedBlobs = 0
    }

    /// Removes the expired sessions and the orphaned staged uploads, and with `blobs` the unrecorded blobs,
    /// once.
    @discardableResult
    public func sweep(blobs includeBlobs: Bool = true) async throws -> Sweep {
        var sweep = Sweep()
        sweep.expiredUploads = try await uploads.removeAbandoned(before: MetadataStore.nowMs() - expirySeconds * 1000)
        let graceCutoff = Date(timeIntervalSinceNow: -Double(graceSeconds))
        let staged = try await blobs.stagedUploads(lastWrittenBefore: graceCutoff)
        let owned = try await store.existingUploads(staged)
        for id in staged where !owned.contains(id) {
            try await blobs.deleteUpload(id: id)
            logger.info("removed staged upload bytes no session owns", metadata: ["upload": "\(id)"])
            sweep.orphanedStagedUploads += 1
        }
        if includeBlobs {
            let store = store
            let removed = try await blobs.removeUnrecordedBlobs(writtenBefore: graceCutoff) { digests in
                let recorded = try await store.recordedBlobs(digests.map(\.description))
                return Set(digests.filter { recorded.contains($0.description) })
            }
            for digest in removed {
                logger.info("removed a stored blob no row records (left by a crash)", metadata: ["digest": "\(digest)"])
            }
            sweep.unrecordedBlobs = removed.count
        }
        return sweep
    }

    /// Sweeps at every interval (walking the stored blobs at most every `blobInterval`) until the server
    /// shuts down.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastBlobSweep: ContinuousClock.Instant?
            while !Task.isCancelled {
                let walkBlobs = lastBlobSweep.map { ContinuousClock.now - $0 >= blobInterval } ?? true
                do {
                    let sweep = try await sweep(blobs: walkBlobs)
                    if walkBlobs { lastBlobSweep = .now }
                    if sweep.expiredUploads > 0 {
                        logger.info("removed abandoned uploads", metadata: ["count": "\(sweep.expiredUploads)"])
                    }
                } catch {
                    if !(error is ServiceFault) { logger.warning("storage sweep failed", metadata: ["error": "\(error)"]) }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
