import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `/repositories…` and `/tags…`: the registry's repositories and their alive tags.
///
/// A tag's id is the id of its current history row: when a tag is moved to another image it gets a new
/// id (Portus kept the id and changed the digest). Deleting a tag deletes every tag pointing at the same
/// image, as in Portus (which deletes the manifest from the registry); the repository stays, and the
/// tags can be restored with the Quay API's time machine.
struct PortusRepositoryRoutes {
    let services: PortusServices
    var entities: PortusEntities { PortusEntities(services: services) }

    var routes: [PortusRoute] {
        [
            PortusRoute(.get, "/api/v1/repositories", .user, handler: list),
            PortusRoute(.get, "/api/v1/repositories/{id}", .user, handler: show),
            PortusRoute(.put, "/api/v1/repositories/{id}", .user, handler: update),
            PortusRoute(.delete, "/api/v1/repositories/{id}", .user, handler: delete),
            PortusRoute(.get, "/api/v1/repositories/{id}/tags", .user, handler: tags),
            PortusRoute(.get, "/api/v1/repositories/{id}/tags/grouped", .user, handler: groupedTags),
            PortusRoute(.get, "/api/v1/repositories/{id}/tags/{tag_id}", .user, handler: repositoryTag),
            PortusRoute(.get, "/api/v1/tags", .admin, handler: allTags),
            PortusRoute(.get, "/api/v1/tags/{id}", .user, handler: tag),
            PortusRoute(.delete, "/api/v1/tags/{id}", .user, handler: deleteTag),
        ]
    }

    static let sortableRepositories = ["id": "id", "name": "name", "created_at": "created_ms", "updated_at": "last_modified_ms",
                                       "description": "description"]
    static let sortableTags = ["id": "id", "name": "name", "created_at": "lifetime_start_ms", "updated_at": "lifetime_start_ms"]

    /// The repositories the caller may read (every one for administrators).
    @Sendable func list(_ call: PortusRequest) async throws -> Response {
        let pagination = try PortusPagination(call.params, sortable: Self.sortableRepositories)
        let filter = RepositoryListFilter(viewerID: call.caller.account?.id, includePublic: true, everything: services.policy.isAdmin(call.caller),
                                          namespaceID: nil, starredOnly: false)
        let page = try await services.store.repositoryPage(filter, pagination.request)
        let hostname = try await entities.registryHostname()
        return PortusJSON.response(.ok, page.items.map { entities.repository($0, hostname: hostname) },
                                   headers: pagination.headers(total: page.total, url: services.settings.baseURL + call.request.uri.path,
                                                               query: call.queryItems))
    }

    @Sendable func show(_ call: PortusRequest) async throws -> Response {
        let repository = try await visibleRepository(call.id(), call)
        return PortusJSON.response(.ok, try await detailed(repository, call))
    }

    @Sendable func update(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.requires("repository", .hash([.optional("description")]))])
        let repository = try await existingRepository(call.id())
        let grant = try await services.policy.portusGrant(to: call.caller, on: repository)
        guard services.policy.mayUpdate(grant, by: call.caller) else { throw PortusAPIError.authorizationFails }
        if let description = call.params.string("repository", "description") {
            try await services.repositories.describe(repository, as: description, by: call.performer)
        }
        return PortusJSON.response(.ok, try await detailed(repository, call))
    }

    @Sendable func delete(_ call: PortusRequest) async throws -> Response {
        let repository = try await existingRepository(call.id())
        let grant = try await services.policy.portusGrant(to: call.caller, on: repository)
        guard services.policy.mayDelete(grant, by: call.caller) else { throw PortusAPIError.authorizationFails }
        try await services.repositories.delete(with: grant, by: call.performer)
        return PortusJSON.empty()
    }

    @Sendable func tags(_ call: PortusRequest) async throws -> Response {
        let repository = try await visibleRepository(call.id(), call)
        return PortusJSON.response(.ok, try await services.store.tagOverviews(repositoryID: repository.id).map(entities.tag))
    }

    /// The tags in groups of the same image, the most recently pushed group first.
    @Sendable func groupedTags(_ call: PortusRequest) async throws -> Response {
        let repository = try await visibleRepository(call.id(), call)
        let tags = try await services.store.tagOverviews(repositoryID: repository.id)
        let groups = Dictionary(grouping: tags, by: \.digest).values.sorted { lhs, rhs in
            let (left, right) = (lhs.map(\.startMs).max() ?? 0, rhs.map(\.startMs).max() ?? 0)
            return left != right ? left > right : (lhs.map(\.id).max() ?? 0) > (rhs.map(\.id).max() ?? 0)
        }
        return PortusJSON.response(.ok, groups.map { $0.map(entities.tag) })
    }

    /// A tag by id, whatever the repository in the path (as Portus does).
    @Sendable func repositoryTag(_ call: PortusRequest) async throws -> Response {
        let tag = try await visibleTag(call.id("tag_id"), call)
        return PortusJSON.response(.ok, entities.tag(tag))
    }

    @Sendable func allTags(_ call: PortusRequest) async throws -> Response {
        let pagination = try PortusPagination(call.params, sortable: Self.sortableTags)
        let page = try await services.store.tagPage(pagination.request)
        return PortusJSON.response(.ok, page.items.map(entities.tag),
                                   headers: pagination.headers(total: page.total, url: services.settings.baseURL + call.request.uri.path,
                                                               query: call.queryItems))
    }

    @Sendable func tag(_ call: PortusRequest) async throws -> Response {
        let tag = try await visibleTag(call.id(), call)
        return PortusJSON.response(.ok, entities.tag(tag))
    }

    @Sendable func deleteTag(_ call: PortusRequest) async throws -> Response {
        guard let tag = try await services.store.tagOverview(id: call.id()),
              let repository = try await services.store.repository(id: tag.repositoryId) else { throw PortusAPIError.notFound }
        let grant = try await services.policy.portusGrant(to: call.caller, on: repository)
        guard services.policy.mayDelete(grant, by: call.caller) else { throw PortusAPIError.authorizationFails }
        try await services.tags.deleteAll(pointingAt: tag.digest, with: grant, by: call.performer)
        return PortusJSON.empty()
    }

    /// The repository view of a single repository: whether the caller starred it and may delete it.
    private func detailed(_ repository: RepositoryRecord, _ call: PortusRequest) async throws -> OrderedJSONObject {
        guard let overview = try await services.store.repositoryOverview(id: repository.id) else { throw PortusAPIError.notFound }
        let starred = if let account = call.caller.account {
            try await services.store.hasStarred(accountID: account.id, repositoryID: repository.id)
        } else { false }
        return entities.repository(overview, hostname: try await entities.registryHostname(), starred: starred,
                                   destroyable: services.policy.mayDelete(try await services.policy.portusGrant(to: call.caller, on: repository),
                                                                          by: call.caller))
    }

    private func existingRepository(_ id: Int64) async throws -> RepositoryRecord {
        guard let repository = try await services.store.repository(id: id) else { throw PortusAPIError.notFound }
        return repository
    }

    @discardableResult
    private func visibleRepository(_ id: Int64, _ call: PortusRequest) async throws -> RepositoryRecord {
        let repository = try await existingRepository(id)
        let grant = try await services.policy.portusGrant(to: call.caller, on: repository)
        guard services.policy.maySee(grant, by: call.caller) else { throw PortusAPIError.authorizationFails }
        return repository
    }

    /// The tag `id`, whose repository the caller may see (403 otherwise).
    private func visibleTag(_ id: Int64, _ call: PortusRequest) async throws -> TagOverview {
        guard let tag = try await services.store.tagOverview(id: id) else { throw PortusAPIError.notFound }
        try await visibleRepository(tag.repositoryId, call)
        return tag
    }
}
