import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata
import WharfOCI

/// `_ping`, `health`, `/api/version` and `vulnerabilities`: the endpoints that report on the service.
struct PortusStatusRoutes {
    let services: PortusServices

    var routes: [PortusRoute] {
        [
            PortusRoute(.get, "/api/v1/_ping", .anyone, handler: ping),
            PortusRoute(.get, "/api/v1/health", .anyone, handler: health),
            PortusRoute(.get, "/api/version", .user, handler: version),
            PortusRoute(.post, "/api/v1/vulnerabilities", .admin, handler: rescanAll),
            PortusRoute(.post, "/api/v1/vulnerabilities/{id}", .admin, handler: rescanTag),
        ]
    }

    /// 200, with the status as the body (what Grape renders for an endpoint that only sets a status).
    @Sendable func ping(_ call: PortusRequest) async throws -> Response {
        PortusJSON.response(.ok, 200)
    }

    /// The database and the registry (Wharf's own blob storage): 200 when both are well, else 503.
    @Sendable func health(_ call: PortusRequest) async throws -> Response {
        let database: (String, Bool)
        do {
            let version = try await services.store.schemaVersion()
            database = version >= MetadataStore.knownSchemaVersion ? ("database is up-to-date", true) : ("database is initializing", false)
        } catch {
            services.logger.error("health: the database failed", metadata: ["error": "\(error)"])
            database = ("cannot connect to database", false)
        }
        let registry: (String, Bool)
        do {
            _ = try await services.blobs.size(of: Digest.of(Data()))
            registry = ("registry is reachable", true)
        } catch {
            services.logger.error("health: the blob storage failed", metadata: ["error": "\(error)"])
            registry = ("registry is not reachable", false)
        }
        let body: OrderedJSONObject = [
            "database": ["msg": database.0, "success": database.1] as OrderedJSONObject,
            "registry": ["msg": registry.0, "success": registry.1] as OrderedJSONObject,
        ]
        return PortusJSON.response(database.1 && registry.1 ? .ok : .serviceUnavailable, body)
    }

    /// The Portus API level Wharf answers as, and Wharf's own version.
    @Sendable func version(_ call: PortusRequest) async throws -> Response {
        PortusJSON.response(.ok, ["api-versions": ["v1"], "git": NSNull(), "version": services.settings.version] as OrderedJSONObject)
    }

    /// Marks every image to be scanned again (the scanner, once configured, picks them up).
    @Sendable func rescanAll(_ call: PortusRequest) async throws -> Response {
        try await services.domain.scans.requestRescan(tagID: nil, by: call.performer)
        return PortusJSON.response(.accepted, 202)
    }

    /// Marks the image of tag `id` to be scanned again.
    @Sendable func rescanTag(_ call: PortusRequest) async throws -> Response {
        guard try await services.store.tagOverview(id: call.id()) != nil else { throw PortusAPIError.notFound }
        try await services.domain.scans.requestRescan(tagID: call.id(), by: call.performer)
        return PortusJSON.response(.accepted, 202)
    }
}
