import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `/namespaces…`: Wharf's user and organization namespaces, with Portus's visibility and owning team.
///
/// A namespace's repository list shows only the repositories the caller may read (Portus listed every
/// repository of a namespace it could see; Wharf's repositories can also be private one by one).
struct PortusNamespaceRoutes {
    let services: PortusServices
    var entities: PortusEntities { PortusEntities(services: services) }

    var routes: [PortusRoute] {
        [
            PortusRoute(.get, "/api/v1/namespaces", .user, handler: list),
            PortusRoute(.post, "/api/v1/namespaces", .user, handler: create),
            PortusRoute(.get, "/api/v1/namespaces/validate", .user, handler: validate),
            PortusRoute(.get, "/api/v1/namespaces/{id}", .user, handler: show),
            PortusRoute(.put, "/api/v1/namespaces/{id}", .user, handler: update),
            PortusRoute(.delete, "/api/v1/namespaces/{id}", .user, handler: delete),
            PortusRoute(.get, "/api/v1/namespaces/{id}/repositories", .user, handler: repositories),
        ]
    }

    static let sortable = ["id": "id", "name": "username", "created_at": "created_ms", "updated_at": "updated_ms", "description": "description",
                           "visibility": "namespace_visibility"]

    /// Administrators see every namespace; others those public, protected or theirs.
    @Sendable func list(_ call: PortusRequest) async throws -> Response {
        let pagination = try PortusPagination(call.params, sortable: Self.sortable)
        let filter = NamespaceListFilter(viewerID: call.caller.account?.id, everything: services.policy.isAdmin(call.caller))
        let page = try await services.store.namespacePage(filter, pagination.request)
        var views: [OrderedJSONObject] = []
        for namespace in page.items { views.append(try await entities.namespace(namespace)) }
        return PortusJSON.response(.ok, views, headers: pagination.headers(total: page.total, url: services.settings.baseURL + call.request.uri.path,
                                                                            query: call.queryItems))
    }

    @Sendable func validate(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.requires("name")])
        return PortusJSON.response(.ok, PortusEntities.status(try await services.namespaces.problems(name: call.params.string("name"))))
    }

    /// Creates a namespace of a Portus team (404 when there is no such team, before anything else).
    @Sendable func create(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.requires("name"), .requires("team"), .optional("description")])
        guard let teamName = call.params.string("team"), let team = try await services.teams.team(named: teamName) else {
            throw PortusAPIError.notFound
        }
        guard try await services.policy.mayCreateNamespace(call.caller, team: team) else { throw PortusAPIError.authorizationFails }
        let namespace = try await services.namespaces.create(name: call.params.string("name") ?? "", team: team,
                                                             description: call.params.string("description") ?? "", by: call.performer)
        return PortusJSON.response(.created, try await entities.namespace(namespace))
    }

    @Sendable func show(_ call: PortusRequest) async throws -> Response {
        let namespace = try await visibleNamespace(call)
        return PortusJSON.response(.ok, try await entities.namespace(namespace))
    }

    /// Changes the name, description, owning team (by name) or visibility; each change needs its own right,
    /// checked before the values are (as Portus: 403, then an unknown visibility, then an unknown team).
    /// An empty team or visibility changes nothing.
    @Sendable func update(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.requires("namespace", .hash([.optional("name"), .optional("description"), .optional("team"), .optional("visibility")]))])
        let namespace = try await existingNamespace(call.id())
        let policy = services.policy
        guard try await policy.mayUpdate(call.caller, namespace: namespace), try await policy.mayPush(call.caller, namespace: namespace) else {
            throw PortusAPIError.authorizationFails
        }
        var change = NamespaceChange(name: call.params.string("namespace", "name"), description: call.params.string("namespace", "description"))
        if let text = call.params.string("namespace", "visibility"), !text.isEmpty {
            guard let visibility = NamespaceVisibility(rawValue: text) else { throw PortusAPIError(.unprocessableContent, "unknown visibility kind '\(text)'") }
            if visibility != namespace.namespaceVisibility, try await !policy.mayChangeVisibility(call.caller, namespace: namespace) {
                throw PortusAPIError.authorizationFails
            }
            change.visibility = visibility
        }
        if let teamName = call.params.string("namespace", "team"), !teamName.isEmpty {
            guard let team = try await services.teams.team(named: teamName) else { throw PortusAPIError(.notFound, "unknown team '\(teamName)'") }
            change.owningTeam = team
        }
        let updated = try await services.namespaces.update(namespace, change, by: call.performer)
        return PortusJSON.response(.ok, try await entities.namespace(updated))
    }

    @Sendable func delete(_ call: PortusRequest) async throws -> Response {
        let namespace = try await existingNamespace(call.id())
        guard try await services.policy.mayDelete(call.caller, namespace: namespace) else { throw PortusAPIError.authorizationFails }
        try await services.namespaces.delete(namespace, by: call.performer)
        return PortusJSON.empty()
    }

    @Sendable func repositories(_ call: PortusRequest) async throws -> Response {
        let namespace = try await visibleNamespace(call)
        let filter = RepositoryListFilter(viewerID: call.caller.account?.id, includePublic: true,
                                          everything: services.policy.isAdmin(call.caller), namespaceID: namespace.id, starredOnly: false)
        let page = try await services.store.repositoryPage(filter, PageRequest(column: "id", ascending: true, offset: 0, limit: nil))
        let hostname = try await entities.registryHostname()
        return PortusJSON.response(.ok, page.items.map { entities.repository($0, hostname: hostname) })
    }

    /// The namespace of the `id` path parameter, which the caller may see (403 otherwise).
    private func visibleNamespace(_ call: PortusRequest) async throws -> AccountRecord {
        let namespace = try await existingNamespace(call.id())
        guard try await services.policy.maySee(call.caller, namespace: namespace) else { throw PortusAPIError.authorizationFails }
        return namespace
    }

    /// A user's or organization's namespace (not a robot's, nor the organization that holds Portus's teams).
    private func existingNamespace(_ id: Int64) async throws -> AccountRecord {
        guard let namespace = try await services.store.account(id: id), !namespace.isRobot, namespace.systemRole == nil else {
            throw PortusAPIError.notFound
        }
        return namespace
    }
}
