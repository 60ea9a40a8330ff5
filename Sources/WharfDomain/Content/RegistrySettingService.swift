import Foundation
import WharfMetadata

/// The registry Wharf is, as Portus's registries API manages it: one registry, whose name and external
/// host name are kept in the database, while its host name and TLS setting are Wharf's configuration
/// (`SERVER_HOSTNAME`, `PREFERRED_URL_SCHEME`) and cannot be changed through the API.
public struct RegistrySettingService: Sendable {
    let store: MetadataStore
    /// `SERVER_HOSTNAME`.
    public let hostname: String
    /// Whether `PREFERRED_URL_SCHEME` is `https`.
    public let useSSL: Bool
    /// The registry's name until one is set (`REGISTRY_TITLE`).
    let defaultName: String

    public init(store: MetadataStore, hostname: String, useSSL: Bool, defaultName: String) {
        self.store = store
        self.hostname = hostname
        self.useSSL = useSSL
        self.defaultName = defaultName
    }

    /// The registry's row.
    public func registry() async throws -> RegistrySettingRecord {
        try await store.transaction { tx in try await tx.registrySetting(defaultName: defaultName) }
    }

    /// Renames the registry or changes its external host name (empty: none); a host name or TLS setting
    /// other than the configured ones is refused per field, as is an empty name.
    public func update(name: String?, hostname newHostname: String?, useSSL newUseSSL: Bool?, externalHostname: String?) async throws -> RegistrySettingRecord {
        var problems: [String: [String]] = [:]
        if let newHostname, newHostname != hostname {
            problems["hostname"] = [try await store.hasRepositories()
                ? "Registry is not empty, cannot change hostname"
                : "is Wharf's SERVER_HOSTNAME (\(hostname)); change it in the configuration"]
        }
        if let newUseSSL, newUseSSL != useSSL { problems["use_ssl"] = ["follows Wharf's PREFERRED_URL_SCHEME; change it in the configuration"] }
        if let name, name.isEmpty { problems["name"] = ["can't be blank"] }
        guard problems.isEmpty else { throw DomainError.invalidFields(problems) }
        let id = try await registry().id
        return try await store.transaction { tx in
            guard let updated = try await tx.changeRegistrySetting(id: id, name: name, externalHostname: externalHostname) else {
                throw DomainError.notFound
            }
            return updated
        }
    }

    /// The problems with a registry's details as Portus checks a new registry's: the name must be given and
    /// free, and the host name must reach a registry (Wharf answers for its own host names only). With
    /// `only`, the other fields are not reported.
    public func problems(name: String?, hostname candidate: String?, only: [String]?) async throws -> [String: [String]] {
        let current = try await registry()
        var messages: [String: [String]] = [:]
        if (name ?? "").isEmpty {
            messages["name"] = ["can't be blank"]
        } else if name == current.name {
            messages["name"] = ["has already been taken"]
        }
        if let candidate, !candidate.isEmpty {
            if candidate != hostname, candidate != current.externalHostname {
                messages["hostname"] = ["\(candidate) is not a registry this server answers for (it answers for \(hostname))"]
            }
        } else {
            messages["hostname"] = ["can't be blank"]
        }
        if let only, !only.isEmpty { messages = messages.filter { only.contains($0.key) } }
        return messages
    }
}
