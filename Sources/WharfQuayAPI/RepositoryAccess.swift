import Foundation
import WharfIdentity
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

/// Quay's opaque `next_page` tokens: an encoded position; a token that cannot be read means the first page.
enum PageToken {
    static func encode(offset: Int) -> String {
        let json = "{\"offset_val\":\(offset),\"page_number\":0,\"is_datetime\":false}"
        return Data(json.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The offset a token encodes; 0 for a missing or unreadable token.
    static func offset(_ token: String?) -> Int {
        guard var text = token?.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") else { return 0 }
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let offset = object["offset_val"] as? Int, offset >= 0 else { return 0 }
        return offset
    }
}
