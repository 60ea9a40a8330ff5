import Foundation
import Hummingbird
import WharfDomain
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

    @Sendable func list(_ call: PortusRequest) async throws -> Response {
        PortusJSON.response(.ok, [entities.registry(try await services.registry.registry())])
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
        guard try await call.id() == services.registry.registry().id else { throw PortusAPIError.notFound }
        let updated = try await services.registry.update(name: call.params.string("registry", "name"), hostname: call.params.string("registry", "hostname"),
                                                         useSSL: call.params.boolean("registry", "use_ssl"),
                                                         externalHostname: call.params.string("registry", "external_hostname"))
        return PortusJSON.response(.ok, entities.registry(updated))
    }

    /// Checks registry details (see `RegistrySettingService.problems`). Every parameter is optional, as in
    /// Portus, whose form checks one field at a time with `only`; a missing one is blank.
    @Sendable func validate(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.optional("name"), .optional("hostname"), .optional("use_ssl", .boolean), .optional("external_hostname"),
                                  .optional("only", .array)])
        let messages = try await services.registry.problems(name: call.params.string("name"), hostname: call.params.string("hostname"),
                                                            only: call.params.strings("only"))
        return PortusJSON.response(.ok, PortusEntities.status(messages))
    }
}
