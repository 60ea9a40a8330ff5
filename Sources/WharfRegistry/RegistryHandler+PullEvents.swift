import HTTPTypes
import Hummingbird
import WharfDomain
import WharfMetadata

extension RegistryHandler {
    /// Queues a pull (`pull_repo`) for the event stream, with the metadata Quay logs: the repository, its
    /// namespace, the client and the caller's name. Pulls write nothing on their own path: the event bus
    /// writes the queued events in batches.
    func recordSoon(_ kind: DomainEvent.Kind, _ request: Request?, caller: RegistryCaller, repository: RepositoryRecord,
                    details: [String: String?]) {
        let performer = caller.performer
        var metadata: [String: String?] = ["repo": repository.name, "namespace": repository.namespaceName]
        if let agent = request?.headers[.userAgent] { metadata["user-agent"] = agent }
        if let username = performer.account?.username ?? performer.name { metadata["username"] = username }
        metadata.merge(details) { _, new in new }
        domain.events.recordSoon(DomainEvent(kind, namespace: nil, by: performer, repository: repository, details: metadata))
    }
}
