import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `/repository` and `/repository/{repository}…`: creating, describing, deleting repositories and
/// changing their visibility and state.
struct RepositoryRoutes {
    let services: QuayServices
    var access: RepositoryGate { RepositoryGate(services: services) }
    var repositories: RepositoryService { services.repositories }

    var routes: [QuayRoute] {
        let repository = "/api/v1/repository/{repository}"
        return [
            QuayRoute(.post, "/api/v1/repository", operationID: "createRepo", summary: "Create a new repository.", scope: .repoCreate,
                      body: QuayBodySchema("RepoCreate", "Description of a new repository", [
                          QuayParameter("repository", .string, "Repository name", required: true),
                          QuayParameter("visibility", .string, "Visibility which the repository will start with", required: true),
                          QuayParameter("namespace", .string, "Namespace in which the repository should be created. If omitted, the username of the caller is used"),
                          QuayParameter("description", .string, "Markdown encoded description for the repository", required: true),
                          QuayParameter("repo_kind", .string, "The kind of repository"),
                      ]), handler: create),
            QuayRoute(.get, "/api/v1/repository", operationID: "listRepos", summary: "Fetch the list of repositories visible to the current user.",
                      scope: .repoRead, query: [
                          CommonParameters.nextPage,
                          QuayParameter("popularity", .boolean, "Whether to include the repository's popularity metric."),
                          QuayParameter("last_modified", .boolean, "Whether to include when the repository was last modified."),
                          QuayParameter("public", .boolean, "Adds any repositories visible to the user by virtue of being public"),
                          QuayParameter("starred", .boolean, "Filters the repositories returned to those starred by the user"),
                          QuayParameter("namespace", .string, "Filters the repositories returned to this namespace"),
                      ], handler: list),
            QuayRoute(.get, repository, operationID: "getRepo", summary: "Fetch the specified repository.", scope: .repoRead,
                      query: [QuayParameter("includeTags", .boolean, "Whether to include repository tags"),
                              QuayParameter("includeStats", .boolean, "Whether to include action statistics")], handler: get),
            QuayRoute(.put, repository, operationID: "updateRepo", summary: "Update the description in the specified repository.",
                      scope: .repoWrite, body: QuayBodySchema("RepoUpdate", "Fields which can be updated in a repository.", [
                          QuayParameter("description", .string, "Markdown encoded description for the repository", required: true),
                      ]), handler: update),
            QuayRoute(.delete, repository, operationID: "deleteRepository", summary: "Delete a repository.", scope: .repoAdmin, handler: delete),
            QuayRoute(.post, repository + "/changevisibility", operationID: "changeRepoVisibility",
                      summary: "Change the visibility of a repository.", scope: .repoAdmin,
                      body: QuayBodySchema("ChangeVisibility", "Change the visibility for the repository.", [
                          QuayParameter("visibility", .string, "Visibility which the repository will start with", required: true),
                      ]), handler: changeVisibility),
            QuayRoute(.put, repository + "/changestate", operationID: "changeRepoState", summary: "Change the state of a repository.",
                      scope: .repoAdmin, body: QuayBodySchema("ChangeRepoState", "Change the state of the repository.", [
                          QuayParameter("state", .string, "Determines whether pushes are allowed.", required: true),
                      ]), handler: changeState),
        ]
    }

    struct CreateBody: Decodable {
        let repository: String
        let visibility: String
        let description: String?
        let namespace: String?
        let repo_kind: String?
    }

    @Sendable func create(_ call: QuayRequest) async throws -> Response {
        let body: CreateBody = try await QuayJSON.decode(call.request)
        guard let visibility = Visibility(rawValue: body.visibility) else {
            throw QuayAPIError.invalidRequest("'\(body.visibility)' is not one of ['public', 'private']")
        }
        guard body.repo_kind == nil || body.repo_kind == "image" else {
            throw QuayAPIError.invalidRequest("Only image repositories are supported")
        }
        let account = try call.caller.account()
        let namespace = body.namespace ?? account.username
        let repository = try await repositories.create(namespace: namespace, name: body.repository, visibility: visibility,
                                                       description: body.description, by: call.caller.performer, refused: call.caller.refusal)
        return QuayJSON.response(.created, ["namespace": repository.namespaceName, "name": repository.name, "kind": repository.kind])
    }

    /// Repositories per page of the listing (Quay's `REPOS_PER_PAGE`).
    static let listPage = 100

    /// Quay's repository listing: `namespace`, `public` or `starred` (one at least), with `last_modified`
    /// and `popularity` on request, 100 a page with an opaque `next_page` token. A caller sees public
    /// repositories (with `public=true`), its own namespace and its grants; its token needs `repo:read`
    /// for the latter.
    @Sendable func list(_ call: QuayRequest) async throws -> Response {
        let identity = call.caller.identity
        let namespaceName = call.query("namespace")
        let starred = call.flag("starred", default: false), includePublic = call.flag("public", default: false)
        guard namespaceName != nil || starred || includePublic else {
            throw QuayAPIError.invalidRequest("namespace, starred or public are required for this API call")
        }
        if starred, identity.isAnonymous { throw QuayAPIError.invalidRequest("You must be signed in to list starred repositories") }
        var namespaceID: Int64?
        if let namespaceName {
            guard let namespace = try await services.store.account(named: namespaceName) else {
                return QuayJSON.response(.ok, ["repositories": [Any]()])
            }
            namespaceID = namespace.id
        }
        let reads = identity.repositoryRoleCap != nil
        // A starred repository is listed while the caller may see it: public ones too, whatever its roles.
        let filter = RepositoryListFilter(viewerID: reads ? identity.account?.id : nil, includePublic: includePublic || starred,
                                          everything: services.policy.bypassesChecks(identity), namespaceID: namespaceID, starredOnly: starred)
        let after = Int64(PageToken.offset(call.query("next_page")))
        let rows = try await services.store.listRepositories(filter, afterID: after, limit: Self.listPage + 1)
        let withLastModified = call.flag("last_modified", default: false), withPopularity = call.flag("popularity", default: false)
        var body: [String: Any] = ["repositories": rows.prefix(Self.listPage).map { row in
            var entry: [String: Any] = ["namespace": row.namespace, "name": row.name, "description": row.description.orNull,
                                        "is_public": row.visibility == .public, "kind": row.kind, "state": RepositoryService.name(of: row.state)]
            if !identity.isAnonymous { entry["is_starred"] = row.starred != 0 }
            if withLastModified { entry["last_modified"] = row.lastModifiedMs.map { $0 / 1000 }.orNull }
            if withPopularity { entry["popularity"] = Double(row.popularity) }
            return entry
        }]
        if rows.count > Self.listPage, let last = rows.prefix(Self.listPage).last { body["next_page"] = PageToken.encode(offset: Int(last.id)) }
        return QuayJSON.response(.ok, body)
    }

    /// Days of pull and push counts in `stats` (Quay: 92, zero-filled).
    static let statsDays = 92
    /// Tags shown in the repository view (Quay: 500, most recent first).
    static let viewTags = 500

    /// Quay's repository view; `includeTags` (default true) adds the alive tags, `includeStats` the
    /// pulls and pushes per day.
    @Sendable func get(_ call: QuayRequest) async throws -> Response {
        let grant = try await access.requireGrant(.read, call)
        let repository = grant.repository
        let store = services.store
        guard let detail = try await store.repositoryDetail(id: repository.id) else { throw QuayAPIError.notFound }
        let role = grant.role
        var starred = false
        if let account = call.caller.identity.account { starred = try await store.hasStarred(accountID: account.id, repositoryID: repository.id) }
        var view: [String: Any] = [
            "namespace": repository.namespaceName, "name": repository.name, "kind": repository.kind, "description": detail.description.orNull,
            "is_public": repository.visibility == .public, "is_organization": detail.namespaceIsOrganization, "is_starred": starred,
            "status_token": "", "trust_enabled": false, "tag_expiration_s": detail.tagExpirationSeconds, "is_free_account": true,
            "state": RepositoryService.name(of: repository.state),
            "can_write": repository.state == .normal && (role.map { $0 >= .write } ?? false), "can_admin": role == .admin,
        ]
        if call.flag("includeTags", default: true) {
            var tags: [String: Any] = [:]
            for tag in try await store.aliveTags(repositoryID: repository.id, limit: Self.viewTags) {
                var entry: [String: Any] = ["name": tag.name, "size": tag.size, "last_modified": QuayViews.date(ms: tag.startMs),
                                            "manifest_digest": tag.manifestDigest]
                if let end = tag.endMs { entry["expiration"] = QuayViews.date(ms: end) }
                tags[tag.name] = entry
            }
            view["tags"] = tags
        }
        if call.flag("includeStats", default: false) {
            let today = Date()
            let days = (0..<Self.statsDays).reversed().map { RepositoryActivity.day(today.addingTimeInterval(-Double($0) * 86_400)) }
            let counts = try await store.actionCounts(repositoryID: repository.id, from: days[0])
            view["stats"] = days.map { ["date": $0, "count": counts[$0] ?? 0] as [String: Any] }
        }
        return QuayJSON.response(.ok, view)
    }

    struct UpdateBody: Decodable { let description: String }

    @Sendable func update(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.write, call)
        let body: UpdateBody = try await QuayJSON.decode(call.request)
        try await repositories.describe(repository, as: body.description, by: call.caller.performer)
        return QuayJSON.response(.ok, ["success": true])
    }

    /// Deleting is idempotent for those who administer the namespace (Quay answers 204 for a missing repository).
    @Sendable func delete(_ call: QuayRequest) async throws -> Response {
        do {
            let grant = try await access.requireGrant(.admin, call)
            try await repositories.delete(with: grant, by: call.caller.performer)
        } catch let error as QuayAPIError where error.status == 404 {
            return Responses.empty(.noContent)
        }
        return Responses.empty(.noContent)
    }

    struct VisibilityBody: Decodable { let visibility: String }

    @Sendable func changeVisibility(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.admin, call)
        let body: VisibilityBody = try await QuayJSON.decode(call.request)
        guard let visibility = Visibility(rawValue: body.visibility) else {
            throw QuayAPIError.invalidRequest("'\(body.visibility)' is not one of ['public', 'private']")
        }
        try await repositories.setVisibility(repository, visibility, by: call.caller.performer)
        return QuayJSON.response(.ok, ["success": true])
    }

    struct StateBody: Decodable { let state: String }

    /// An unknown state is refused with Quay's `{"detail": …}` body.
    @Sendable func changeState(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.admin, call)
        let body: StateBody = try await QuayJSON.decode(call.request)
        guard let state = RepositoryService.state(named: body.state) else {
            return QuayJSON.response(.badRequest, ["detail": "Invalid state: \(body.state)"])
        }
        try await repositories.setState(repository, state, by: call.caller.performer)
        return QuayJSON.response(.ok, ["success": true])
    }
}
