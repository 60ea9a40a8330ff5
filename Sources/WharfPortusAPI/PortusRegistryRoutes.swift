import Foundation
import Hummingbird
import WharfIdentity
import WharfMetadata

/// `/registries…` (administrators only): the one registry there is, Wharf itself. Its name and external
/// host name can be changed; its host name and scheme are Wharf's configuration (`SERVER_HOSTNAME`,
/// `PREFERRED_URL_SCHEME`), so another value is refused.
struct PortusRegistryRoutes {
    let services: PortusServices
    var entities: PortusEntities { PortusEntities(services: services) }

    var routes: [PortusRoute] {
        [
            PortusRoute(.get, "/api/v1/registries", .admin, handler: list),
            PortusRoute(.post, "/api/v1/registries", .admin, handler: create),
            PortusRoute(.put, "/api/v1/registries/{id}", .admin, handler: update),
            PortusRoute(.get, "/api/v1/registries/validate", .admin, handler: validate),
        ]
    }

    private func registry() async throws -> RegistrySettingRecord {
        try await services.store.registrySetting(defaultName: services.settings.defaultRegistryName)
    }

    @Sendable func list(_ call: PortusRequest) async throws -> Response {
        PortusJSON.response(.ok, [entities.registry(try await registry())])
    }

    /// Portus allows one registry, and Wharf is it: a new one is refused as Portus refuses a second.
    @Sendable func create(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.requires("registry", .hash([.requires("name"), .requires("hostname"), .requires("use_ssl", .boolean),
                                                                 .optional("external_hostname")]))])
        throw PortusAPIError.invalid("uniqueness", "You can only create one registry")
    }

    @Sendable func update(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.requires("registry", .hash([.optional("name"), .optional("hostname"), .optional("use_ssl", .boolean),
                                                                 .optional("external_hostname")]))])
        let current = try await registry()
        guard try call.id() == current.id else { throw PortusAPIError.notFound }
        var problems: [String: [String]] = [:]
        if let hostname = call.params.string("registry", "hostname"), hostname != services.settings.hostname {
            problems["hostname"] = [try await services.store.hasRepositories()
                ? "Registry is not empty, cannot change hostname"
                : "is Wharf's SERVER_HOSTNAME (\(services.settings.hostname)); change it in the configuration"]
        }
        if let useSSL = call.params.boolean("registry", "use_ssl"), useSSL != services.settings.useSSL {
            problems["use_ssl"] = ["follows Wharf's PREFERRED_URL_SCHEME; change it in the configuration"]
        }
        if let name = call.params.string("registry", "name"), name.isEmpty { problems["name"] = ["can't be blank"] }
        guard problems.isEmpty else { throw PortusAPIError(.unprocessableContent, problems) }
        guard let updated = try await services.store.changeRegistrySetting(id: current.id, name: call.params.string("registry", "name"),
                                                                           externalHostname: call.params.string("registry", "external_hostname")) else {
            throw PortusAPIError.notFound
        }
        return PortusJSON.response(.ok, entities.registry(updated))
    }

    /// Checks registry details as Portus checks a new registry's: the name must be given and free, and the
    /// host name must reach a registry (Wharf answers for its own host names only). Every parameter is
    /// optional, as in Portus (its form checks one field at a time with `only`); a missing one is blank.
    @Sendable func validate(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.optional("name"), .optional("hostname"), .optional("use_ssl", .boolean), .optional("external_hostname"),
                                  .optional("only", .array)])
        let current = try await registry()
        var messages: [String: [String]] = ["name": [], "hostname": []]
        let name = call.params.string("name") ?? ""
        if name.isEmpty {
            messages["name"] = ["can't be blank"]
        } else if name == current.name {
            messages["name"] = ["has already been taken"]
        }
        let hostname = call.params.string("hostname") ?? ""
        if hostname.isEmpty {
            messages["hostname"] = ["can't be blank"]
        } else if hostname != services.settings.hostname, hostname != current.externalHostname {
            messages["hostname"] = ["\(hostname) is not a registry this server answers for (it answers for \(services.settings.hostname))"]
        }
        if let only = call.params.strings("only"), !only.isEmpty { messages = messages.filter { only.contains($0.key) } }
        return PortusJSON.response(.ok, PortusEntities.status(messages.filter { !$0.value.isEmpty }))
    }
}
