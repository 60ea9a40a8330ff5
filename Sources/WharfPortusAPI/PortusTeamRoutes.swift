import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata

/// `/teams…`: Portus's teams and their members. Teams of Quay organizations are shown as hidden teams:
/// they can be read here, and are changed with the Quay API.
struct PortusTeamRoutes {
    let services: PortusServices
    var entities: PortusEntities { PortusEntities(services: services) }

    var routes: [PortusRoute] {
        [
            PortusRoute(.get, "/api/v1/teams", .user, handler: list),
            PortusRoute(.post, "/api/v1/teams", .user, handler: create),
            PortusRoute(.get, "/api/v1/teams/{id}", .user, handler: show),
            PortusRoute(.put, "/api/v1/teams/{id}", .user, handler: update),
            PortusRoute(.delete, "/api/v1/teams/{id}", .user, handler: delete),
            PortusRoute(.post, "/api/v1/teams/{id}/ldap_check", .user, handler: ldapCheck),
            PortusRoute(.get, "/api/v1/teams/{id}/namespaces", .user, handler: namespaces),
            PortusRoute(.get, "/api/v1/teams/{id}/members", .user, handler: members),
            PortusRoute(.post, "/api/v1/teams/{id}/members", .user, handler: addMember),
            PortusRoute(.put, "/api/v1/teams/{id}/members/{member_id}", .user, handler: updateMember),
            PortusRoute(.delete, "/api/v1/teams/{id}/members/{member_id}", .user, handler: removeMember),
        ]
    }

    static let sortable = ["id": "id", "name": "name", "created_at": "created_ms", "updated_at": "updated_ms", "description": "description"]

    /// Portus's teams: all of them for administrators, one's own for others.
    @Sendable func list(_ call: PortusRequest) async throws -> Response {
        let pagination = try PortusPagination(call.params, sortable: Self.sortable)
        let member = services.policy.isAdmin(call.caller) ? nil : call.caller.account?.id ?? -1
        let page = try await services.store.teamPage(organizationID: services.teams.organizationID(), memberID: member, pagination.request)
        var views: [OrderedJSONObject] = []
        for team in page.items { views.append(try await entities.team(team)) }
        return PortusJSON.response(.ok, views, headers: pagination.headers(total: page.total, url: services.settings.baseURL + call.request.uri.path,
                                                                            query: call.queryItems))
    }

    /// Creates a team owned by the caller, or (administrators only) by `owner_id`.
    @Sendable func create(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.requires("name"), .optional("description"), .optional("owner_id", .integer)])
        var owner = call.caller.account
        if let ownerID = call.params.integer("owner_id") {
            guard services.policy.isAdmin(call.caller) else { throw PortusAPIError.authorizationFails }
            guard let chosen = try await services.store.account(id: Int64(ownerID)), PortusUserRoutes.isUser(chosen) else { throw PortusAPIError.notFound }
            owner = chosen
        }
        guard let owner, services.policy.mayCreateTeam(call.caller, ownedBy: owner) else { throw PortusAPIError.authorizationFails }
        let team = try await services.teams.create(name: call.params.string("name") ?? "", description: call.params.string("description") ?? "",
                                                   owner: owner, by: call.performer)
        return PortusJSON.response(.created, try await entities.team(team))
    }

    @Sendable func show(_ call: PortusRequest) async throws -> Response {
        PortusJSON.response(.ok, try await entities.team(try await visibleTeam(call)))
    }

    @Sendable func update(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.requires("team", .hash([.optional("name"), .optional("description")]))])
        let team = try await existingTeam(call.id())
        guard try await services.teams.isPortusTeam(team), try await services.policy.mayUpdate(call.caller, team: team) else {
            throw PortusAPIError.authorizationFails
        }
        let updated = try await services.teams.update(team, name: call.params.string("team", "name"),
                                                      description: call.params.string("team", "description"), by: call.performer)
        return PortusJSON.response(.ok, try await entities.team(updated))
    }

    /// Deletes a team; its namespaces go to `new_team`, or are deleted with it.
    @Sendable func delete(_ call: PortusRequest) async throws -> Response {
        let team = try await existingTeam(call.id())
        var heir: TeamRecord?
        if let name = call.params.string("new_team"), !name.isEmpty {
            guard let found = try await services.teams.team(named: name) else { throw PortusAPIError.notFound }
            heir = found
        }
        guard try await services.teams.isPortusTeam(team), try await services.policy.mayDelete(call.caller, team: team) else {
            throw PortusAPIError.authorizationFails
        }
        try await services.teams.delete(team, heir: heir, by: call.performer)
        return PortusJSON.empty()
    }

    /// Wharf has no LDAP group synchronization: answered as Portus does when it is off.
    @Sendable func ldapCheck(_ call: PortusRequest) async throws -> Response {
        throw PortusAPIError.disabledEndpoint
    }

    @Sendable func namespaces(_ call: PortusRequest) async throws -> Response {
        let team = try await visibleTeam(call)
        var views: [OrderedJSONObject] = []
        for namespace in try await services.store.namespaces(ofTeam: team.id) { views.append(try await entities.namespace(namespace)) }
        return PortusJSON.response(.ok, views)
    }

    /// The members, as `Users` entities (see `AccessPolicy.mayListMembers(_:team:isPortusTeam:)` for who may list them).
    @Sendable func members(_ call: PortusRequest) async throws -> Response {
        let team = try await existingTeam(call.id())
        guard try await services.policy.mayListMembers(call.caller, team: team, isPortusTeam: services.teams.isPortusTeam(team)) else {
            throw PortusAPIError.authorizationFails
        }
        return PortusJSON.response(.ok, try await services.store.teamMembers(teamID: team.id).filter(PortusUserRoutes.isUser).map(entities.user))
    }

    @Sendable func addMember(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.requires("role"), .requires("user")])
        let team = try await portusTeam(call.id())
        guard let username = call.params.string("user"), let user = try await services.store.account(named: username), PortusUserRoutes.isUser(user) else {
            throw PortusAPIError.notFound
        }
        guard try await services.policy.mayManageMembers(call.caller, team: team) else { throw PortusAPIError.authorizationFails }
        let member = try await services.teams.add(user, to: team, role: try Self.role(call.params), isAdmin: services.authenticator.isSuperuser(user),
                                                  by: call.performer)
        return PortusJSON.response(.created, entities.member(member, user: user, team: team))
    }

    @Sendable func updateMember(_ call: PortusRequest) async throws -> Response {
        try call.params.validate([.requires("role")])
        let (team, member, user) = try await existingMember(call)
        guard try await services.policy.mayManageMembers(call.caller, team: team) else { throw PortusAPIError.authorizationFails }
        let updated = try await services.teams.setRole(member, of: user, to: try Self.role(call.params), isAdmin: services.authenticator.isSuperuser(user),
                                                       team: team, by: call.performer)
        return PortusJSON.response(.ok, entities.member(updated, user: user, team: team))
    }

    @Sendable func removeMember(_ call: PortusRequest) async throws -> Response {
        let (team, member, user) = try await existingMember(call)
        guard try await services.policy.mayManageMembers(call.caller, team: team) else { throw PortusAPIError.authorizationFails }
        try await services.teams.remove(member, of: user, team: team, by: call.performer)
        return PortusJSON.empty()
    }

    /// The `role` parameter: `viewer`, `contributor` or `owner` (Portus answered anything else with a 500).
    static func role(_ params: PortusParameters) throws -> MemberRole {
        guard let role = params.string("role").flatMap(MemberRole.init(rawValue:)) else {
            throw PortusAPIError.invalid("role", "is not one of viewer, contributor, owner")
        }
        return role
    }

    /// The place `member_id` (a team-membership id, as Portus's) in a Portus team `id`, with its user.
    private func existingMember(_ call: PortusRequest) async throws -> (TeamRecord, TeamMemberRecord, AccountRecord) {
        let team = try await portusTeam(call.id())
        guard let member = try await services.store.teamMember(id: call.id("member_id")), member.teamId == team.id,
              let user = try await services.store.account(id: member.accountId) else { throw PortusAPIError.notFound }
        return (team, member, user)
    }

    /// The team of the `id` path parameter, which the caller may see (403 otherwise).
    private func visibleTeam(_ call: PortusRequest) async throws -> TeamRecord {
        let team = try await existingTeam(call.id())
        guard try await services.policy.maySee(call.caller, team: team) else { throw PortusAPIError.authorizationFails }
        return team
    }

    private func existingTeam(_ id: Int64) async throws -> TeamRecord {
        guard let team = try await services.store.team(id: id) else { throw PortusAPIError.notFound }
        return team
    }

    /// A team that is Portus's (a hidden one is not found, as Portus's `find_by!(hidden: false)`).
    private func portusTeam(_ id: Int64) async throws -> TeamRecord {
        let team = try await existingTeam(id)
        guard try await services.teams.isPortusTeam(team) else { throw PortusAPIError.notFound }
        return team
    }
}
