import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import WharfDomain
import WharfFaults
import WharfHTTP
import WharfMetadata
import WharfQuayAPI

/// Carries out queued log exports (Quay's `exportactionlogsworker`): writes the entries of the export's
/// window as one JSON document, served at `/exportedlogs/<file>`, and posts the outcome to the export's
/// callback URL. Any node may run an export; the claim in the database keeps two from running the same.
public struct LogExportWorker: Service {
    let store: MetadataStore
    let exports: LogExportService
    /// `scheme://host` of the exported documents' URLs.
    let baseURL: String
    let policy: OutboundURLPolicy
    let interval: Duration
    let logger: Logger

    /// An export not finished after this long is taken over by another worker.
    static let staleAfterMs: Int64 = 2 * 3600 * 1000
    /// Entries read per query.
    static let batchSize = 1000

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await drain()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Runs every queued export.
    public func drain() async {
        while !Task.isCancelled {
            do {
                guard let export = try await exports.claimNext(staleAfterMs: Self.staleAfterMs) else { return }
                await perform(export)
            } catch {
                if !(error is ServiceFault) { logger.warning("could not claim a log export", metadata: ["error": "\(error)"]) }
                return
            }
        }
    }

    private func perform(_ export: LogExportRecord) async {
        let namespace = try? await store.account(id: export.accountId)
        var repository: RepositoryRecord?
        if let id = export.repositoryId { repository = try? await store.repository(id: id) }
        var status = "success"
        do {
            let document = try await document(for: export, namespace: namespace?.username, repository: repository?.name)
            try await exports.finish(export, status: status, document: document)
        } catch {
            status = "failed"
            logger.error("log export failed", metadata: ["export": "\(export.uuid)", "error": "\(error)"])
            try? await exports.finish(export, status: status, document: nil)
        }
        if let callback = export.callbackURL {
            await call(callback, export: export, status: status, namespace: namespace?.username, repository: repository?.name)
        }
        if export.callbackEmail != nil {
            logger.warning("log export e-mail is not sent: Wharf sends no mail", metadata: ["export": "\(export.uuid)"])
        }
    }

    /// `{"export_id", "details", "logs": [..., {"terminator": true}]}`, as Quay writes it.
    private func document(for export: LogExportRecord, namespace: String?, repository: String?) async throws -> String {
        let scope: LogQuery.Scope = export.repositoryId.map { .repository($0) } ?? .namespace(export.accountId)
        let query = LogQuery(scope: scope, startMs: export.startMs, endMs: export.endMs)
        let head: [String: Any] = [
            "export_id": export.uuid,
            "details": ["start_time": LogViews.date(ms: export.startMs), "end_time": LogViews.date(ms: export.endMs),
                        "namespace": namespace as Any? ?? NSNull(), "repository": repository as Any? ?? NSNull()],
        ]
        var parts: [String] = []
        var cursor: LogCursor?
        while true {
            let page = try await store.logPage(query, after: cursor, limit: Self.batchSize)
            parts += page.map { JSONWriter.string(LogViews.entry($0, includeNamespace: false)) }
            guard page.count == Self.batchSize, let last = page.last else { break }
            cursor = LogCursor(datetimeMs: last.entry.datetimeMs, id: last.entry.id)
        }
        parts.append(#"{"terminator":true}"#)
        let opening = JSONWriter.string(head).dropLast()
        return opening + #","logs":["# + parts.joined(separator: ",") + "]}"
    }

    /// Posts the outcome to the callback URL, unless the URL points inside the network.
    private func call(_ url: String, export: LogExportRecord, status: String, namespace: String?, repository: String?) async {
        if let refusal = policy.refusal(for: url) {
            logger.warning("log export callback refused", metadata: ["url": "\(url)", "reason": "\(refusal)"])
            return
        }
        let body: [String: Any] = [
            "export_id": export.uuid, "start_time": LogViews.date(ms: export.startMs), "end_time": LogViews.date(ms: export.endMs),
            "namespace": namespace as Any? ?? NSNull(), "repository": repository as Any? ?? NSNull(),
            "exported_data_url": status == "success" ? "\(baseURL)/exportedlogs/\(export.fileName)" : NSNull(), "status": status,
        ]
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: JSONWriter.string(body)))
        do {
            let response = try await OutboundURLPolicy.client.execute(request, timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 1 << 16)
            if response.status.code >= 300 {
                logger.warning("log export callback answered \(response.status.code)", metadata: ["url": "\(url)"])
            }
        } catch {
            logger.warning("log export callback failed", metadata: ["url": "\(url)", "error": "\(error)"])
        }
    }
}
