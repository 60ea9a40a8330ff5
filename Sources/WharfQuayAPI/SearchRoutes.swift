import Foundation
import Hummingbird
import WharfDomain
import WharfMetadata

/// `/find/repositories` and `/find/all`: search among what the caller may see. A private repository is
/// found only by those who may read it; teams and robots only by their members and administrators.
struct SearchRoutes {
    let services: QuayServices

    /// Quay's `SEARCH_RESULTS_PER_PAGE` and `SEARCH_MAX_RESULT_PAGE_COUNT`.
    static let pageSize = 10
    static let maxPage = 10
    /// Results per kind in `/find/all`.
    static let perKind = 5
    /// Quay's base scores per kind, scaled by how closely the name matches.
    static let entityScore = 1.0, teamScore = 2.0, repositoryScore = 4.0

    var routes: [QuayRoute] {
        let text = QuayParameter("query", .string, "The search query.")
        return [
            QuayRoute(.get, "/api/v1/find/repositories", operationID: "conductRepoSearch",
                      summary: "Get a list of apps and repositories that match the specified query.",
                      query: [text, QuayParameter("page", .integer, "The page."),
                              QuayParameter("includeUsage", .boolean, "Whether to include usage metadata")], handler: repositories),
            QuayRoute(.get, "/api/v1/find/all", operationID: "conductSearch",
                      summary: "Get a list of entities and resources that match the specified query.", scope: .repoRead, query: [text],
                      handler: all),
        ]
    }

    /// What `identity` may see of repositories: public ones, and those it may read.
    private func filter(_ identity: Identity) -> RepositoryListFilter {
        let reads = identity.repositoryRoleCap != nil
        return RepositoryListFilter(viewerID: reads ? identity.account?.id : nil, includePublic: true, everything: false,
                                    namespaceID: nil, starredOnly: false)
    }

    @Sendable func repositories(_ call: QuayRequest) async throws -> Response {
        let text = call.query("query") ?? ""
        let page = min(max(1, try call.integer("page") ?? 1), Self.maxPage)
        let offset = (page - 1) * Self.pageSize
        let rows = try await services.store.searchRepositories(filter(call.caller.identity), text: text, offset: offset,
                                                               limit: Self.pageSize + 1)
        let usage = call.flag("includeUsage", default: false)
        var results: [[String: Any]] = []
        for row in rows.prefix(Self.pageSize) {
            var view = try await repositoryView(row, caller: call.caller.identity)
            if usage {
                view["last_modified"] = row.lastModifiedMs.map { $0 / 1000 }.orNull
                view["stars"] = try await services.store.starCount(repositoryID: row.id)
                view["popularity"] = Double(row.popularity)
            }
            results.append(view)
        }
        return QuayJSON.response(.ok, ["results": results, "has_additional": rows.count > Self.pageSize, "page": page,
                                       "page_size": Self.pageSize, "start_index": offset])
    }

    @Sendable func all(_ call: QuayRequest) async throws -> Response {
        let text = call.query("query") ?? ""
        guard !text.isEmpty else { return QuayJSON.response(.ok, ["results": [Any]()]) }
        let identity = call.caller.identity
        var results: [[String: Any]] = []
        if let account = identity.account, identity.repositoryRoleCap != nil {
            for team in try await services.store.searchTeams(text, accountID: account.id, limit: Self.perKind * 2) {
                results.append([
                    "kind": "team", "name": team.name, "score": Self.teamScore,
                    "organization": entityView(name: team.organization, email: team.organizationEmail, kind: "organization", caller: account.username),
                    "avatar": QuayViews.avatar(name: team.name, email: nil, kind: "team"),
                    "href": "/organization/\(team.organization)/teams/\(team.name)",
                ])
            }
            for robot in try await services.store.searchRobots(text, accountID: account.id, limit: Self.perKind) {
                var view = entityView(robot, caller: account.username)
                view["short_name"] = robot.username.split(separator: "+", maxSplits: 1).last.map(String.init) ?? robot.username
                results.append(view)
            }
        }
        for row in try await services.store.searchRepositories(filter(identity), text: text, offset: 0, limit: Self.perKind) {
            results.append(try await repositoryView(row, caller: identity))
        }
        for account in try await services.store.searchNamespaces(text, limit: Self.perKind) {
            results.append(entityView(account, caller: identity.account?.username))
        }
        for index in results.indices {
            let name = results[index]["short_name"] as? String ?? results[index]["name"] as? String ?? ""
            results[index]["score"] = (results[index]["score"] as? Double ?? 1) * Self.closeness(of: name, to: text)
        }
        results.sort { ($0["score"] as? Double ?? 0) > ($1["score"] as? Double ?? 0) }
        return QuayJSON.response(.ok, ["results": results])
    }

    /// How closely `name` matches `text`: 1 when equal, less for a prefix, less again for a substring,
    /// 0.5 otherwise (Quay scales by a fuzzy-match score in the same range).
    static func closeness(of name: String, to text: String) -> Double {
        let name = name.lowercased(), text = text.lowercased()
        if name == text { return 1 }
        if name.hasPrefix(text) { return 0.9 }
        if name.contains(text) { return 0.75 }
        return 0.5
    }

    /// A repository as search results show it.
    private func repositoryView(_ row: RepositoryListEntry, caller: Identity) async throws -> [String: Any] {
        let namespace = try await services.store.account(named: row.namespace)
        let entity = namespace.map { entityView($0, caller: caller.account?.username) }
            ?? entityView(name: row.namespace, email: nil, kind: "user", caller: caller.account?.username)
        return ["kind": "repository", "title": "repo", "namespace": entity, "name": row.name, "description": row.description.orNull,
                "is_public": row.visibility == .public, "score": Self.repositoryScore, "href": "/repository/\(row.namespace)/\(row.name)"]
    }

    /// A user, organization or robot as search results show it (Quay's `search_entity_view`).
    private func entityView(_ account: AccountRecord, caller: String?) -> [String: Any] {
        if account.isRobot {
            let owner = account.username.split(separator: "+", maxSplits: 1).first.map(String.init) ?? ""
            let href = owner == caller ? "/user/\(owner)?tab=robots&showRobot=\(account.username)"
                                       : "/organization/\(owner)?tab=robots&showRobot=\(account.username)"
            return ["title": "robot", "kind": "robot", "avatar": jsonNull, "name": account.username, "score": Self.entityScore, "href": href]
        }
        return entityView(name: account.username, email: account.email, kind: account.isOrganization ? "organization" : "user", caller: caller)
    }

    private func entityView(name: String, email: String?, kind: String, caller: String?) -> [String: Any] {
        let organization = kind == "organization"
        return ["title": organization ? "org" : "user", "kind": kind,
                "avatar": QuayViews.avatar(name: name, email: email, kind: organization ? "org" : "user"), "name": name,
                "score": Self.entityScore, "href": organization ? "/organization/\(name)" : "/user/\(name)"]
    }
}
