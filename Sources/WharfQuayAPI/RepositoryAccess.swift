import Foundation
import WharfDomain
import WharfMetadata

/// Quay's permission-before-existence rule for repository endpoints: a caller without the role gets
/// 401 (anonymous) or 403, whether or not the repository exists; only those who administer the
/// namespace learn that it does not (404).
struct RepositoryAccess {
    let services: QuayServices

    /// `namespace/name` split at the first slash (Quay's nested names keep the rest as the name).
    static func split(_ path: String) -> (namespace: String, name: String) {
        guard let slash = path.firstIndex(of: "/") else { return (path, "") }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }

    /// The repository `{repository}` of the request, when the caller holds at least `role` on it.
    func require(_ role: RepositoryRole, _ call: QuayRequest) async throws -> RepositoryRecord {
        let (namespace, name) = Self.split(call.parameter("repository"))
        return try await require(role, namespace: namespace, name: name, caller: call.caller)
    }

    func require(_ role: RepositoryRole, namespace: String, name: String, caller: APICaller) async throws -> RepositoryRecord {
        if let repository = try await services.store.repository(namespace: namespace, name: name) {
            if let held = try await services.permissions.role(of: caller.identity, on: repository), held >= role { return repository }
            throw caller.refusal
        }
        if let owner = try await services.store.account(named: namespace),
           try await services.permissions.administersNamespace(caller.identity, owner) {
            throw QuayAPIError.notFound
        }
        throw caller.refusal
    }
}
