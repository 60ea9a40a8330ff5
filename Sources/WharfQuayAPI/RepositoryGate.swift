import Foundation
import WharfDomain
import WharfMetadata

/// Quay's answers to the access policy for repository endpoints, permission before existence: a caller
/// without the role gets 401 (anonymous) or 403, whether or not the repository exists; only those who
/// administer the namespace learn that it does not (404).
struct RepositoryGate {
    let services: QuayServices

    /// `namespace/name` split at the first slash (Quay's nested names keep the rest as the name).
    static func split(_ path: String) -> (namespace: String, name: String) {
        guard let slash = path.firstIndex(of: "/") else { return (path, "") }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }

    /// The repository `{repository}` of the request, when the caller holds at least `role` on it.
    func require(_ role: RepositoryRole, _ call: QuayRequest) async throws -> RepositoryRecord {
        try await requireGrant(role, call).repository
    }

    /// The policy's grant on the repository `{repository}` of the request, when it holds at least `role`.
    func requireGrant(_ role: RepositoryRole, _ call: QuayRequest) async throws -> RepositoryGrant {
        let (namespace, name) = Self.split(call.parameter("repository"))
        return try await requireGrant(role, namespace: namespace, name: name, caller: call.caller)
    }

    func require(_ role: RepositoryRole, namespace: String, name: String, caller: APICaller) async throws -> RepositoryRecord {
        try await requireGrant(role, namespace: namespace, name: name, caller: caller).repository
    }

    func requireGrant(_ role: RepositoryRole, namespace: String, name: String, caller: APICaller) async throws -> RepositoryGrant {
        if let repository = try await services.store.repository(namespace: namespace, name: name) {
            let grant = try await services.policy.grant(to: caller.identity, on: repository)
            guard grant.holds(role) else { throw caller.refusal }
            return grant
        }
        if let owner = try await services.store.account(named: namespace),
           try await services.policy.administersNamespace(caller.identity, owner) {
            throw QuayAPIError.notFound
        }
        throw caller.refusal
    }
}
