import Logging
import ServiceLifecycle
import WharfDomain
import WharfFaults
import WharfMetadata

/// Runs the domain's event delivery on this node: every `interval`, writes the pulls queued in memory to
/// the outbox, removes the events delivered at once, and hands the outbox's batched events (and any
/// another node left behind) to the subscribers; writes the pull and push counts every `countInterval`;
/// and does both once more when the server shuts down.
public struct EventDeliverer: Service {
    let events: EventBus
    let activity: RepositoryActivity
    let store: MetadataStore
    let interval: Duration
    let countInterval: Duration
    let logger: Logger

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                // Each round runs in a task of its own, so that a shutdown waits for it rather than cutting it off.
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        await Task { await deliver() }.value
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: countInterval)
                        await Task { await writeCounts() }.value
                    }
                }
            }
        }
        // The last round runs outside this (cancelled) task, so that cancellation does not abort its writes.
        await Task { await flush() }.value
    }

    /// Delivers what waits and writes the counts now.
    public func flush() async {
        await deliver()
        await writeCounts()
    }

    /// Writes the queued pulls and delivers what waits in the outbox; what cannot be written or delivered
    /// stays for the next round (an outage is logged by the database's outage log, not here).
    public func deliver() async {
        do {
            try await events.flush()
            try await events.deliverPending()
        } catch {
            if !(error is ServiceFault) { logger.warning("could not deliver events", metadata: ["error": "\(error)"]) }
        }
    }

    /// Writes the pull and push counts gathered in memory.
    public func writeCounts() async {
        do {
            try await activity.flush(into: store)
        } catch {
            if !(error is ServiceFault) { logger.warning("could not write repository activity", metadata: ["error": "\(error)"]) }
        }
    }
}
