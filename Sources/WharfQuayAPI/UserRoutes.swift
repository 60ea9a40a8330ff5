import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `/user/`, `/users/{username}`, starred repositories and entity autocompletion.
struct UserRoutes {
    let services: QuayServices

    var routes: [QuayRoute] {
        [
            QuayRoute(.get, "/api/v1/user/", operationID: "getLoggedInUser", summary: "Get user information for the authenticated user.",
                      scope: .userRead, handler: currentUser),
            QuayRoute(.get, "/api/v1/users/{username}", operationID: "getUserInformation", summary: "Get user information for the specified user.",
                      handler: user),
            QuayRoute(.get, "/api/v1/user/starred", operationID: "listStarredRepos", summary: "List all starred repositories.",
                      scope: .userAdmin, query: [CommonParameters.nextPage], handler: starred),
            QuayRoute(.post, "/api/v1/user/starred", operationID: "createStar", summary: "Star a repository.", scope: .repoRead,
                      body: QuayBodySchema("NewStarredRepository", "", [
                          QuayParameter("namespace", .string, "Namespace in which the repository belongs", required: true),
                          QuayParameter("repository", .string, "Repository name", required: true),
                      ]), handler: star),
            QuayRoute(.delete, "/api/v1/user/starred/{repository}", operationID: "deleteStar", summary: "Removes a star from a repository.",
                      scope: .userAdmin, handler: unstar),
            QuayRoute(.get, "/api/v1/entities/{prefix}", operationID: "getMatchingEntities", summary: "Get a list of entities that match the specified prefix.",
                      query: [QuayParameter("includeOrgs", .boolean, "Whether to include orgs names."),
                              QuayParameter("includeTeams", .boolean, "Whether to include team names."),
                              QuayParameter("namespace", .string, "Namespace to use when querying for org entities.")], handler: entities),
        ]
    }

    /// Quay's `user_view`: the full view for the caller's own account, names and avatars otherwise.
    func userView(_ user: AccountRecord, caller: Identity) async throws -> [String: Any] {
        var view: [String: Any] = ["anonymous": false, "username": user.username, "avatar": QuayViews.avatar(user)]
        let policy = services.policy
        if policy.administersUser(caller, username: user.username) {
            view["can_create_repo"] = true
            view["is_me"] = true
            view["verified"] = true
            view["email"] = user.email.orNull
            view["logins"] = [Any]()
            view["invoice_email"] = false
            view["invoice_email_address"] = jsonNull
            view["preferred_namespace"] = false
            view["tag_expiration_s"] = user.removedTagExpirationS
            view["prompts"] = [Any]()
            view["company"] = jsonNull
            view["family_name"] = jsonNull
            view["given_name"] = jsonNull
            view["location"] = jsonNull
            view["is_free_account"] = true
            view["has_password_set"] = user.passwordHash != nil
        }
        if policy.readsUser(caller, username: user.username) {
            var organizations: [[String: Any]] = []
            var seen = Set<Int64>()
            for membership in try await services.store.memberships(accountID: user.id) where seen.insert(membership.organizationId).inserted {
                guard let organization = try await services.store.account(id: membership.organizationId) else { continue }
                let role = try await policy.teamRole(of: caller, in: organization)
                organizations.append(["name": organization.username, "avatar": QuayViews.avatar(organization),
                                      "can_create_repo": role.map { $0 >= .creator } ?? false, "public": false,
                                      "is_org_admin": role == .admin, "preferred_namespace": false])
            }
            view["organizations"] = organizations
        }
        if caller.actsAsSuperuser {
            // Quay: true only for the superuser's own account; false for anyone else, superusers included.
            view["super_user"] = caller.account?.id == user.id
        }
        return view
    }

    @Sendable func currentUser(_ call: QuayRequest) async throws -> Response {
        let identity = call.caller.identity
        // Quay's `User.get`: no user, or no user-read right (a token without `user:read`/`user:admin`), is an
        // invalid token (401), not a 403.
        guard let account = identity.account, services.policy.readsUser(identity, username: account.username) else {
            throw QuayAPIError(status: 401, text: "Requires authentication", shape: .apiError(type: "invalid_token"), extra: ["session_required": false])
        }
        return QuayJSON.response(.ok, try await userView(account, caller: identity))
    }

    @Sendable func user(_ call: QuayRequest) async throws -> Response {
        guard let user = try await services.store.account(named: call.parameter("username")), !user.isOrganization, !user.isRobot else {
            throw QuayAPIError.message(404, "User not found")
        }
        return QuayJSON.response(.ok, try await userView(user, caller: call.caller.identity))
    }

    @Sendable func starred(_ call: QuayRequest) async throws -> Response {
        let account = try call.caller.administeredAccount(services.policy)
        let page = PageToken.offset(call.query("next_page"))
        let limit = 100
        let rows = try await services.store.starredRepositories(accountID: account.id, offset: page, limit: limit + 1)
        var body: [String: Any] = ["repositories": rows.prefix(limit).map {
            ["namespace": $0.namespace, "name": $0.name, "description": $0.description.orNull, "is_public": $0.visibility == .public] as [String: Any]
        }]
        if rows.count > limit { body["next_page"] = PageToken.encode(offset: page + limit) }
        return QuayJSON.response(.ok, body)
    }

    struct StarBody: Decodable {
        let namespace: String
        let repository: String
    }

    @Sendable func star(_ call: QuayRequest) async throws -> Response {
        let account = try call.caller.administeredAccount(services.policy)
        let body: StarBody = try await QuayJSON.decode(call.request)
        let repository = try await RepositoryGate(services: services).require(.read, namespace: body.namespace, name: body.repository, caller: call.caller)
        try await services.domain.stars.star(repository, for: account, by: call.caller.performer)
        return QuayJSON.response(.created, ["namespace": body.namespace, "repository": body.repository])
    }

    @Sendable func unstar(_ call: QuayRequest) async throws -> Response {
        let account = try call.caller.administeredAccount(services.policy)
        let (namespace, name) = RepositoryGate.split(call.parameter("repository"))
        if let repository = try await services.store.repository(namespace: namespace, name: name) {
            try await services.domain.stars.unstar(repository, for: account, by: call.caller.performer)
        }
        return Responses.empty(.noContent)
    }

    /// Users, robots of `namespace`, teams of `namespace` (with `includeTeams`) and the `namespace`
    /// organization itself (with `includeOrgs`, for its members, as Quay) whose names start with the prefix.
    @Sendable func entities(_ call: QuayRequest) async throws -> Response {
        let matches = try await services.domain.search.search(
            prefix: call.parameter("prefix"), namespace: call.query("namespace"), includeTeams: call.flag("includeTeams", default: false),
            includeOrganizations: call.flag("includeOrgs", default: false), caller: call.caller.identity)
        let results: [[String: Any]] = matches.map { match in
            switch match {
            case .user(let user, let member):
                var entry: [String: Any] = ["name": user.username, "kind": "user", "is_robot": false, "avatar": QuayViews.avatar(user)]
                if let member { entry["is_org_member"] = member }
                return entry
            case .robot(let robot, let ofOrganization):
                var entry: [String: Any] = ["name": robot.name, "kind": "user", "is_robot": true,
                                            "avatar": QuayViews.avatar(name: robot.name, email: nil, kind: "robot")]
                if ofOrganization { entry["is_org_member"] = true }
                return entry
            case .team(let team):
                return ["name": team.name, "kind": "team", "is_robot": false, "is_org_member": true, "avatar": QuayViews.avatar(team: team)]
            case .organization(let organization):
                return ["name": organization.username, "kind": "org", "is_robot": false, "avatar": QuayViews.avatar(organization)]
            }
        }
        return QuayJSON.response(.ok, ["results": results])
    }
}
