import Foundation
import Logging
import WharfMetadata

/// The caller of a domain operation as the audit log records it: who and from which address.
public struct Performer: Sendable {
    public let identity: Identity
    public let ip: String?

    public init(identity: Identity, ip: String?) {
        self.identity = identity
        self.ip = ip
    }

    public var account: AccountRecord? { identity.account }
}

/// Records actions in the audit log with Quay's log kind names (`org_create`, `create_robot`, …).
///
/// A failure to write the log is reported but does not undo the action it describes.
public struct AuditLog: Sendable {
    let store: MetadataStore
    let logger: Logger

    public init(store: MetadataStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Records `kind` in `namespace`'s log (and the repository's, when given).
    public func record(_ kind: String, namespace: AccountRecord?, by performer: Performer?, repository: RepositoryRecord? = nil,
                       metadata: [String: String?] = [:]) async {
        var fields: [String: Any] = [:]
        for (key, value) in metadata { fields[key] = value ?? NSNull() }
        if let identity = performer?.identity, identity.kind == .oauthToken { fields["oauth_token"] = true }
        let json = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let entry = NewLogEntry(kind: kind, accountId: namespace?.id ?? repository?.namespaceId, performerId: performer?.account?.id,
                                repositoryId: repository?.id, ip: performer?.ip, metadataJson: json)
        do {
            try await store.record(entry)
        } catch {
            logger.error("could not write the audit log", metadata: ["kind": "\(kind)", "error": "\(error)"])
        }
    }
}
