import Logging
import ServiceLifecycle
import WharfFaults
import WharfIdentity
import WharfMetadata

/// Writes the pull and push counts and the registry's audit-log entries gathered in memory to the
/// database every `interval`, and once more when the server shuts down.
public struct ActivityFlusher: Service {
    let activity: RepositoryActivity
    let audit: AuditLog
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

    /// Writes the counts and the log entries now; what cannot be written stays for the next flush (a
    /// database outage is logged by the database's outage log, not here).
    public func flush() async {
        do {
            try await activity.flush(into: store)
        } catch {
            if !(error is ServiceFault) { logger.warning("could not write repository activity", metadata: ["error": "\(error)"]) }
        }
        do {
            try await audit.flush()
        } catch {
            if !(error is ServiceFault) { logger.warning("could not write the audit log", metadata: ["error": "\(error)"]) }
        }
    }
}
