import Logging
import ServiceLifecycle
import WharfMetadata

/// Writes the pull and push counts gathered in memory to the database every `interval`, and once more
/// when the server shuts down.
public struct ActivityFlusher: Service {
    let activity: RepositoryActivity
    let store: MetadataStore
    let interval: Duration
    let logger: Logger

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while true {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                await flush()
            }
        }
        // The last flush runs outside this (cancelled) task, so that cancellation does not abort its writes.
        await Task { await flush() }.value
    }

    /// Writes the counts now.
    public func flush() async {
        do {
            try await activity.flush(into: store)
        } catch {
            logger.warning("could not write repository activity", metadata: ["error": "\(error)"])
        }
    }
}
