import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `/organization/{orgname}/prototypes…`: an organization's default permissions.
struct PrototypeRoutes {
    let services: QuayServices
    var access: OrganizationGate { OrganizationGate(services: services) }

    var routes: [QuayRoute] {
        let base = "/api/v1/organization/{orgname}/prototypes"
        return [
            QuayRoute(.get, base, operationID: "getOrganizationPrototypePermissions", summary: "List the existing prototypes for this organization.",
                      scope: .orgAdmin, handler: list),
            QuayRoute(.post, base, operationID: "createOrganizationPrototypePermission", summary: "Create a new permission prototype.",
                      scope: .orgAdmin, body: QuayBodySchema("NewPrototype", "Description of a new prototype", [
                          QuayParameter("role", .string, "Role that should be applied to the delegate", required: true),
                          QuayParameter("activating_user", .object, "Repository creating user to whom the rule should apply"),
                          QuayParameter("delegate", .object, "Information about the user or team to which the rule grants access", required: true),
                      ]), handler: create),
            QuayRoute(.put, base + "/{prototypeid}", operationID: "updateOrganizationPrototypePermission", summary: "Update the role of an existing permission prototype.",
                      scope: .orgAdmin, body: QuayBodySchema("PrototypeUpdate", "Description of a the new prototype role", [
                          QuayParameter("role", .string, "Role that should be applied to the permission", required: true),
                      ]), handler: update),
            QuayRoute(.delete, base + "/{prototypeid}", operationID: "deleteOrganizationPrototypePermission", summary: "Delete an existing permission prototype.",
                      scope: .orgAdmin, handler: delete),
        ]
    }

    func view(_ prototype: PrototypeRecord, organization: AccountRecord) async throws -> [String: Any] {
        let store = services.store
        func userEntity(_ id: Int64) async throws -> [String: Any]? {
            guard let account = try await store.account(id: id) else { return nil }
            let member = try await services.policy.belongs(account, to: organization)
            return ["name": account.username, "is_robot": account.isRobot, "kind": "user", "is_org_member": member, "avatar": QuayViews.avatar(account)]
        }
        var delegate: Any = jsonNull
        if let id = prototype.delegateAccountId { delegate = try await userEntity(id).orNull }
        if let id = prototype.delegateTeamId, let team = try await store.team(id: id) {
            delegate = ["name": team.name, "kind": "team", "avatar": QuayViews.avatar(team: team)] as [String: Any]
        }
        var activating: Any = jsonNull
        if let id = prototype.activatingAccountId { activating = try await userEntity(id).orNull }
        return ["id": prototype.uuid, "role": prototype.role.rawValue, "activating_user": activating, "delegate": delegate]
    }

    @Sendable func list(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        var views: [[String: Any]] = []
        for prototype in try await services.store.prototypes(organizationID: organization.id) {
            views.append(try await view(prototype, organization: organization))
        }
        return QuayJSON.response(.ok, ["prototypes": views])
    }

    struct Entity: Decodable {
        let name: String
        let kind: String?
    }

    struct Delegate: Decodable {
        let name: String
        let kind: String
    }

    struct CreateBody: Decodable {
        let role: String
        let delegate: Delegate
        let activating_user: Entity?
    }

    static func role(_ name: String) throws -> RepositoryRole {
        guard let role = RepositoryRole(rawValue: name) else { throw QuayAPIError.invalidRequest("'\(name)' is not one of ['read', 'write', 'admin']") }
        return role
    }

    @Sendable func create(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let body: CreateBody = try await QuayJSON.decode(call.request)
        let delegate: PrototypeDelegate
        switch body.delegate.kind {
        case "user": delegate = .user(body.delegate.name)
        case "team": delegate = .team(body.delegate.name)
        default: throw QuayAPIError.invalidRequest("'\(body.delegate.kind)' is not one of ['user', 'team']")
        }
        let prototype = try await services.prototypes.create(organization, role: try Self.role(body.role), delegate: delegate,
                                                             activatingUser: body.activating_user?.name, by: call.caller.performer)
        return QuayJSON.response(.ok, try await view(prototype, organization: organization))
    }

    struct UpdateBody: Decodable { let role: String }

    @Sendable func update(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        let body: UpdateBody = try await QuayJSON.decode(call.request)
        let prototype = try await services.prototypes.update(organization, uuid: call.parameter("prototypeid"), role: try Self.role(body.role),
                                                             by: call.caller.performer)
        return QuayJSON.response(.ok, try await view(prototype, organization: organization))
    }

    @Sendable func delete(_ call: QuayRequest) async throws -> Response {
        let organization = try await access.requireAdmin(call.parameter("orgname"), call.caller)
        try await services.prototypes.delete(organization, uuid: call.parameter("prototypeid"), by: call.caller.performer)
        return Responses.empty(.noContent)
    }
}
