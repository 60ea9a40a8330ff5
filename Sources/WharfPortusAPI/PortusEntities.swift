import Foundation
import WharfHTTP
import WharfDomain
import WharfMetadata

/// Portus's entities (`lib/api/entities.rb`, official presentation) with their fields in Portus's order.
struct PortusEntities {
    let services: PortusServices

    private var null: NSNull { NSNull() }

    /// `Users`. Every Wharf user, bots included, is its own namespace, so `namespace_id` is its id.
    func user(_ user: AccountRecord) -> OrderedJSONObject {
        [
            "id": user.id, "username": user.username, "email": user.email ?? "",
            "current_sign_in_at": PortusJSON.time(ms: user.currentSignInMs), "last_sign_in_at": PortusJSON.time(ms: user.lastSignInMs),
            "created_at": PortusJSON.time(ms: user.createdMs), "updated_at": PortusJSON.time(ms: user.updatedMs ?? user.createdMs),
            "admin": services.authenticator.isSuperuser(user), "enabled": user.enabled, "locked_at": null,
            "namespace_id": user.id, "display_name": user.displayName ?? null as Any, "bot": user.bot,
        ]
    }

    /// `ApplicationTokens` (the plain token only when it was just created).
    func applicationToken(_ token: AppTokenRecord, plain: String? = nil) -> OrderedJSONObject {
        var view: OrderedJSONObject = ["id": token.id, "application": token.title]
        if let plain { view.set("plain_token", plain) }
        return view
    }

    /// `Registries`: the registry Wharf is.
    func registry(_ setting: RegistrySettingRecord) -> OrderedJSONObject {
        [
            "id": setting.id, "name": setting.name, "hostname": services.registry.hostname,
            "external_hostname": setting.externalHostname ?? null as Any, "use_ssl": services.registry.useSSL,
            "created_at": PortusJSON.time(ms: setting.createdMs), "updated_at": PortusJSON.time(ms: setting.updatedMs),
        ]
    }

    /// `Teams`; teams of Quay organizations show as hidden.
    func team(_ team: TeamRecord) async throws -> OrderedJSONObject {
        [
            "id": team.id, "name": team.name, "created_at": PortusJSON.time(ms: team.createdMs), "updated_at": PortusJSON.time(ms: team.updatedMs),
            "description": team.description, "hidden": try await !services.teams.isPortusTeam(team),
        ]
    }

    /// `Namespaces`, with the namespace's team as `{id, name, hidden}` (null for a personal namespace).
    func namespace(_ namespace: AccountRecord) async throws -> OrderedJSONObject {
        try await self.namespace(NamespaceListing(namespace: namespace, team: services.namespaces.team(of: namespace)))
    }

    /// `Namespaces` of a listed namespace (its team looked up with it).
    func namespace(_ listing: NamespaceListing) async throws -> OrderedJSONObject {
        let namespace = listing.namespace
        var team: Any = null
        if let owning = listing.team {
            team = ["id": owning.id, "name": owning.name, "hidden": try await !services.teams.isPortusTeam(owning)] as OrderedJSONObject
        }
        return [
            "id": namespace.id, "name": namespace.username, "created_at": PortusJSON.time(ms: namespace.createdMs),
            "updated_at": PortusJSON.time(ms: namespace.updatedMs ?? namespace.createdMs), "description": namespace.description,
            "team": team, "visibility": namespace.namespaceVisibility.rawValue, "global": false,
        ]
    }

    /// `TeamMembers`.
    func member(_ member: TeamMemberRecord, user: AccountRecord, team: TeamRecord) -> OrderedJSONObject {
        [
            "id": member.id, "team_id": member.teamId, "user_id": member.accountId, "created_at": PortusJSON.time(ms: member.createdMs),
            "updated_at": PortusJSON.time(ms: member.updatedMs), "role": (member.role ?? team.role.memberRole).rawValue,
            "display_name": user.username,
        ]
    }

    /// The host name repositories are pulled from (`registry_hostname`): the registry's external host name
    /// when one is set, else its host name.
    func registryHostname() async throws -> String {
        try await services.registry.registry().externalHostname ?? services.registry.hostname
    }

    /// `Repositories`, with `registryHostname()`; `starred` and `destroyable` are told for a single
    /// repository and left false and null in lists, as Portus does.
    func repository(_ repository: RepositoryOverview, hostname: String, starred: Bool = false, destroyable: Bool? = nil) -> OrderedJSONObject {
        [
            "id": repository.id, "name": repository.name, "full_name": "\(repository.namespaceName)/\(repository.name)",
            "created_at": PortusJSON.time(ms: repository.createdMs), "updated_at": PortusJSON.time(ms: repository.lastModifiedMs),
            "description": repository.description ?? null as Any,
            "namespace": ["id": repository.namespaceId, "name": repository.namespaceName] as OrderedJSONObject,
            "registry_hostname": hostname, "stars": repository.stars, "tags_count": repository.tagCount,
            "starred": starred, "destroyable": destroyable ?? null as Any,
        ]
    }

    /// `Tags`: `image_id` is the config digest without its algorithm, `size` the config's and layers'
    /// bytes (null for manifest lists), `vulnerabilities` null while no scanner reports.
    func tag(_ tag: TagOverview) -> OrderedJSONObject {
        let config = Self.config(of: tag.manifestBytes)
        let author: OrderedJSONObject = ["id": tag.pusherId ?? null as Any, "name": tag.pusherName ?? null as Any]
        let size = config.map { tag.layersSize.addingReportingOverflow($0.size) }.flatMap { $0.overflow ? nil : $0.partialValue }
        return [
            "id": tag.id, "name": tag.name, "author": author, "digest": tag.digest,
            "image_id": config.map { String($0.digest.split(separator: ":").last ?? "") } ?? "",
            "created_at": PortusJSON.time(ms: tag.startMs), "updated_at": PortusJSON.time(ms: tag.startMs),
            "size": size ?? null as Any, "scanned": tag.scanState, "vulnerabilities": null,
        ]
    }

    /// The config descriptor of an image manifest (nil for indexes and artifacts without one).
    static func config(of manifest: String) -> (digest: String, size: Int64)? {
        struct Manifest: Decodable {
            struct Config: Decodable { let digest: String; let size: Int64 }
            let config: Config?
        }
        guard let config = (try? JSONDecoder().decode(Manifest.self, from: Data(manifest.utf8)))?.config else { return nil }
        return (config.digest, config.size)
    }

    /// `Status` of a validation: `{"messages": {field: [...]}, "valid": bool}`.
    static func status(_ messages: [String: [String]]) -> OrderedJSONObject {
        ["messages": messages, "valid": messages.values.allSatisfy(\.isEmpty)]
    }
}
