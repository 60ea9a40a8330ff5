import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `/user/robots…` and `/organization/{orgname}/robots…`: robot accounts.
struct RobotRoutes {
    let services: QuayServices

    /// Whose robots a request is about, and how much of them the caller may see.
    struct Owner {
        let account: AccountRecord
        /// Whether the caller administers the owner (tokens, permissions and changes need it).
        let administers: Bool
    }

    var routes: [QuayRoute] {
        routes(prefix: "/api/v1/user/robots", noun: "User", scope: .userAdmin, owner: userOwner)
            + routes(prefix: "/api/v1/organization/{orgname}/robots", noun: "Org", scope: .orgAdmin, owner: organizationOwner)
    }

    private func routes(prefix: String, noun: String, scope: Scope, owner: @escaping @Sendable (QuayRequest) async throws -> Owner) -> [QuayRoute] {
        let robot = prefix + "/{robot_shortname}"
        let listQuery = [
            QuayParameter("limit", .integer, "If specified, the number of robots to return."),
            QuayParameter("token", .boolean, "If false, the robot's token is not returned."),
            QuayParameter("permissions", .boolean, "Whether to include repositories and teams in which the robots have permission."),
        ]
        /// The body is optional: an empty one creates the robot without description or metadata.
        let createBody = QuayBodySchema("CreateRobot", "Optional data for creating a robot", [
            QuayParameter("description", .string, "Optional text description for the robot"),
            QuayParameter("unstructured_metadata", .object, "Optional unstructured metadata for the robot"),
        ], required: false)
        return [
            QuayRoute(.get, prefix, operationID: "get\(noun)Robots", summary: "List the available robots.", scope: scope, query: listQuery) { call in
                try await list(call, owner: try await owner(call))
            },
            QuayRoute(.get, robot, operationID: "get\(noun)Robot", summary: "Returns the robot with the specified name.", scope: scope) { call in
                try await get(call, owner: try await requireAdmin(owner(call), call))
            },
            QuayRoute(.put, robot, operationID: "create\(noun)Robot", summary: "Create a new robot.", scope: scope, body: createBody) { call in
                try await create(call, owner: try await requireAdmin(owner(call), call))
            },
            QuayRoute(.delete, robot, operationID: "delete\(noun)Robot", summary: "Delete an existing robot.", scope: scope) { call in
                try await delete(call, owner: try await requireAdmin(owner(call), call))
            },
            QuayRoute(.get, robot + "/permissions", operationID: "get\(noun)RobotPermissions",
                      summary: "Returns the list of repository permissions for the robot.", scope: scope) { call in
                try await permissions(call, owner: try await requireAdmin(owner(call), call))
            },
            QuayRoute(.post, robot + "/regenerate", operationID: "regenerate\(noun)RobotToken",
                      summary: "Regenerates the token for a robot.", scope: scope) { call in
                try await regenerate(call, owner: try await requireAdmin(owner(call), call))
            },
        ]
    }

    /// The caller's own namespace (robots of a user are the user's business only).
    @Sendable func userOwner(_ call: QuayRequest) async throws -> Owner {
        Owner(account: try call.caller.administeredAccount(services.policy), administers: true)
    }

    /// An organization: its members may list its robots, its administrators see and change everything.
    @Sendable func organizationOwner(_ call: QuayRequest) async throws -> Owner {
        let organization = try await OrganizationGate(services: services).requireMember(call.parameter("orgname"), call.caller)
        return Owner(account: organization, administers: try await services.policy.administers(call.caller.identity, organization: organization))
    }

    func requireAdmin(_ owner: Owner, _ call: QuayRequest) throws -> Owner {
        guard owner.administers else { throw call.caller.refusal }
        return owner
    }

    func view(_ robot: RobotRecord, token: String?) -> [String: Any] {
        var view: [String: Any] = ["name": robot.name, "created": QuayViews.date(ms: robot.createdMs),
                                   "last_accessed": QuayViews.date(ms: robot.lastAccessedMs), "description": robot.description]
        if let token { view["token"] = token }
        return view
    }

    func fullView(_ robot: RobotRecord, token: String?) -> [String: Any] {
        var full = view(robot, token: token ?? "")
        full["unstructured_metadata"] = (try? JSONSerialization.jsonObject(with: Data(robot.unstructuredJson.utf8), options: [.fragmentsAllowed])) ?? [String: Any]()
        return full
    }

    func list(_ call: QuayRequest, owner: Owner) async throws -> Response {
        let includeToken = owner.administers && call.flag("token", default: true)
        let includePermissions = owner.administers && call.flag("permissions", default: false)
        let limit = try call.integer("limit").map { max(1, $0) }
        var robots: [[String: Any]] = []
        for robot in try await services.store.robots(ownerID: owner.account.id, limit: limit) {
            var entry = view(robot, token: includeToken ? services.robots.token(of: robot) : nil)
            if includePermissions {
                let teams = try await services.store.memberships(accountID: robot.accountId)
                entry["teams"] = teams.map { ["name": $0.teamName, "avatar": QuayViews.avatar(name: $0.teamName, email: nil, kind: "team")] }
                entry["repositories"] = try await services.store.accountPermissions(accountID: robot.accountId).map(\.repositoryName)
            }
            robots.append(entry)
        }
        return QuayJSON.response(.ok, ["robots": robots])
    }

    func get(_ call: QuayRequest, owner: Owner) async throws -> Response {
        let robot = try await services.robots.robot(owner: owner.account, shortname: call.parameter("robot_shortname"))
        return QuayJSON.response(.ok, fullView(robot, token: services.robots.token(of: robot)))
    }

    struct CreateBody: Decodable {
        let description: String?
        let unstructured_metadata: JSONValue?
    }

    func create(_ call: QuayRequest, owner: Owner) async throws -> Response {
        let body: CreateBody = try await QuayJSON.decodeOptional(call.request)
        var metadata = "{}"
        if let value = body.unstructured_metadata {
            guard case .object = value else { throw QuayAPIError.invalidRequest("unstructured_metadata must be an object") }
            metadata = value.encoded
        }
        let created = try await services.robots.create(owner: owner.account, shortname: call.parameter("robot_shortname"),
                                                       description: body.description ?? "", unstructuredJSON: metadata, by: call.caller.performer)
        return QuayJSON.response(.created, fullView(created.record, token: created.token))
    }

    func delete(_ call: QuayRequest, owner: Owner) async throws -> Response {
        let robot = try await services.robots.robot(owner: owner.account, shortname: call.parameter("robot_shortname"))
        try await services.robots.delete(robot, owner: owner.account, by: call.caller.performer)
        return Responses.empty(.noContent)
    }

    func permissions(_ call: QuayRequest, owner: Owner) async throws -> Response {
        let robot = try await services.robots.robot(owner: owner.account, shortname: call.parameter("robot_shortname"))
        let held = try await services.store.accountPermissions(accountID: robot.accountId)
        return QuayJSON.response(.ok, ["permissions": held.map(QuayViews.permissionEntry)])
    }

    func regenerate(_ call: QuayRequest, owner: Owner) async throws -> Response {
        let robot = try await services.robots.robot(owner: owner.account, shortname: call.parameter("robot_shortname"))
        let regenerated = try await services.robots.regenerate(robot, owner: owner.account, by: call.caller.performer)
        return QuayJSON.response(.ok, fullView(regenerated.record, token: regenerated.token))
    }
}
