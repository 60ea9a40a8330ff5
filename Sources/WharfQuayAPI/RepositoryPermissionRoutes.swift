import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `/repository/{repository}/permissions/…`: user, robot and team roles on a repository (repository admins only).
struct RepositoryPermissionRoutes {
    let services: QuayServices
    var access: RepositoryGate { RepositoryGate(services: services) }

    var routes: [QuayRoute] {
        let base = "/api/v1/repository/{repository}/permissions"
        let userRole = QuayBodySchema("UserPermission", "Description of a user permission.", [
            QuayParameter("role", .string, "Role to use for the user", required: true),
        ])
        let teamRole = QuayBodySchema("TeamPermission", "Description of a team permission.", [
            QuayParameter("role", .string, "Role to use for the team", required: true),
        ])
        return [
            QuayRoute(.get, base + "/user/", operationID: "listRepoUserPermissions", summary: "List all user permissions.",
                      scope: .repoAdmin, handler: listUsers),
            QuayRoute(.get, base + "/team/", operationID: "listRepoTeamPermissions", summary: "List all team permission.",
                      scope: .repoAdmin, handler: listTeams),
            QuayRoute(.get, base + "/user/{username}", operationID: "getUserPermissions", summary: "Get the permission for the specified user.",
                      scope: .repoAdmin, handler: getUser),
            QuayRoute(.put, base + "/user/{username}", operationID: "changeUserPermissions", summary: "Update the perimssions for an existing repository.",
                      scope: .repoAdmin, body: userRole, handler: setUser),
            QuayRoute(.delete, base + "/user/{username}", operationID: "deleteUserPermissions", summary: "Delete the permission for the user.",
                      scope: .repoAdmin, handler: deleteUser),
            QuayRoute(.get, base + "/user/{username}/transitive", operationID: "getUserTransitivePermission",
                      summary: "Get the fetch the permission for the specified user.", scope: .repoAdmin, handler: transitive),
            QuayRoute(.get, base + "/team/{teamname}", operationID: "getTeamPermissions", summary: "Fetch the permission for the specified team.",
                      scope: .repoAdmin, handler: getTeam),
            QuayRoute(.put, base + "/team/{teamname}", operationID: "changeTeamPermissions", summary: "Update the existing team permission.",
                      scope: .repoAdmin, body: teamRole, handler: setTeam),
            QuayRoute(.delete, base + "/team/{teamname}", operationID: "deleteTeamPermissions", summary: "Delete the permission for the specified team.",
                      scope: .repoAdmin, handler: deleteTeam),
        ]
    }

    func userView(_ account: AccountRecord, role: RepositoryRole, repository: RepositoryRecord, namespace: AccountRecord?) async throws -> [String: Any] {
        var view: [String: Any] = ["role": role.rawValue, "name": account.username, "is_robot": account.isRobot, "avatar": QuayViews.avatar(account)]
        if let namespace, namespace.isOrganization {
            view["is_org_member"] = try await services.policy.belongs(account, to: namespace)
        }
        return view
    }

    func teamView(_ team: TeamRecord, role: RepositoryRole) -> [String: Any] {
        ["role": role.rawValue, "name": team.name, "avatar": QuayViews.avatar(team: team)]
    }

    @Sendable func listUsers(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.admin, call)
        let namespace = try await services.store.account(id: repository.namespaceId)
        var permissions: [String: Any] = [:]
        for permission in try await services.store.userPermissions(repositoryID: repository.id) {
            permissions[permission.account.username] = try await userView(permission.account, role: permission.role, repository: repository, namespace: namespace)
        }
        return QuayJSON.response(.ok, ["permissions": permissions])
    }

    @Sendable func listTeams(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.admin, call)
        var permissions: [String: Any] = [:]
        for permission in try await services.store.teamPermissions(repositoryID: repository.id) {
            permissions[permission.team.name] = teamView(permission.team, role: permission.role)
        }
        return QuayJSON.response(.ok, ["permissions": permissions])
    }

    @Sendable func getUser(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.admin, call)
        let (account, role) = try await services.repositoryPermissions.userRole(call.parameter("username"), on: repository)
        let namespace = try await services.store.account(id: repository.namespaceId)
        return QuayJSON.response(.ok, try await userView(account, role: role, repository: repository, namespace: namespace))
    }

    struct RoleBody: Decodable { let role: String }

    func role(_ call: QuayRequest) async throws -> RepositoryRole {
        let body: RoleBody = try await QuayJSON.decode(call.request)
        guard let role = RepositoryRole(rawValue: body.role) else {
            throw QuayAPIError.invalidRequest("'\(body.role)' is not one of ['read', 'write', 'admin']")
        }
        return role
    }

    @Sendable func setUser(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.admin, call)
        let role = try await role(call)
        let account = try await services.repositoryPermissions.setUser(call.parameter("username"), role: role, on: repository, by: call.caller.performer)
        let namespace = try await services.store.account(id: repository.namespaceId)
        return QuayJSON.response(.ok, try await userView(account, role: role, repository: repository, namespace: namespace))
    }

    @Sendable func deleteUser(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.admin, call)
        try await services.repositoryPermissions.deleteUser(call.parameter("username"), on: repository, by: call.caller.performer)
        return Responses.empty(.noContent)
    }

    /// The roles a user holds on the repository directly and through teams; none is a 404, as in Quay.
    @Sendable func transitive(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.admin, call)
        guard let account = try await services.store.account(named: call.parameter("username")), !account.isOrganization else {
            throw QuayAPIError.notFound
        }
        let roles = try await services.store.transitiveRoles(accountID: account.id, repositoryID: repository.id)
        guard !roles.isEmpty else { throw QuayAPIError.notFound }
        return QuayJSON.response(.ok, ["permissions": roles.map { ["role": $0.rawValue] }])
    }

    @Sendable func getTeam(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.admin, call)
        let (team, role) = try await services.repositoryPermissions.teamRole(call.parameter("teamname"), on: repository)
        return QuayJSON.response(.ok, teamView(team, role: role))
    }

    @Sendable func setTeam(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.admin, call)
        let role = try await role(call)
        let team = try await services.repositoryPermissions.setTeam(call.parameter("teamname"), role: role, on: repository, by: call.caller.performer)
        return QuayJSON.response(.ok, teamView(team, role: role))
    }

    @Sendable func deleteTeam(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.admin, call)
        try await services.repositoryPermissions.deleteTeam(call.parameter("teamname"), on: repository, by: call.caller.performer)
        return Responses.empty(.noContent)
    }
}
