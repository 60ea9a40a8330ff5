import HTTPTypes
import Hummingbird
import WharfMetadata

extension RegistryHandler {
    /// Queues a registry action (`pull_repo`, `push_repo`, `delete_tag`) for the repository's audit log with
    /// the metadata Quay records: the repository, its namespace, the client and the caller's name.
    func logSoon(_ kind: String, _ request: Request?, caller: RegistryCaller, repository: RepositoryRecord, namespace: String,
                 details: [String: String?]) {
        let username = caller.identity.account?.username ?? caller.claims?.context.user
        var metadata: [String: String?] = ["repo": repository.name, "namespace": namespace]
        if let agent = request?.headers[.userAgent] { metadata["user-agent"] = agent }
        if let username { metadata["username"] = username }
        metadata.merge(details) { _, new in new }
        audit.recordSoon(kind, repository: repository, performer: caller.identity.account,
                         performerName: caller.claims?.context.user, ip: caller.ip, metadata: metadata)
    }
}
