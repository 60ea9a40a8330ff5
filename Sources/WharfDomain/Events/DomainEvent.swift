import Foundation
import WharfMetadata

/// A fact the domain records when state changes, or when an image is pulled: written to the outbox in
/// the transaction of the change, delivered to the subscribers (`EventBus`) after the commit. The audit
/// log is the first subscriber; quotas, notifications, scanning and mirroring are to subscribe the same way.
public struct DomainEvent: Sendable, Codable, Equatable {
    /// What happened. The raw values are Quay's usage-log kinds (and Portus's activity keys) where the
    /// fact is one Quay logs; the others are facts subscribers need that Quay does not log.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        // Accounts and sign-ins
        case userCreate = "user_create", userDelete = "user_delete", userChangePassword = "user_change_password"
        case userChangeName = "user_change_name", userChangeEmail = "user_change_email"
        case loginSuccess = "login_success", loginFailure = "login_failure", logoutSuccess = "logout_success"
        // Organizations, teams and invitations
        case orgCreate = "org_create", orgDelete = "org_delete", orgChangeName = "org_change_name", orgChangeEmail = "org_change_email"
        case orgChangeTagExpiration = "org_change_tag_expiration", orgCreateTeam = "org_create_team", orgDeleteTeam = "org_delete_team"
        case orgSetTeamRole = "org_set_team_role", orgSetTeamDescription = "org_set_team_description"
        case orgAddTeamMember = "org_add_team_member", orgRemoveTeamMember = "org_remove_team_member"
        case orgInviteTeamMember = "org_invite_team_member", orgDeleteTeamMemberInvite = "org_delete_team_member_invite"
        case orgTeamMemberInviteAccepted = "org_team_member_invite_accepted", orgTeamMemberInviteDeclined = "org_team_member_invite_declined"
        // Robots, tokens and OAuth applications
        case createRobot = "create_robot", deleteRobot = "delete_robot", regenerateRobotToken = "regenerate_robot_token"
        case createAppSpecificToken = "create_app_specific_token", revokeAppSpecificToken = "revoke_app_specific_token"
        case createOAuthAPIToken = "create_oauth_api_token", oauthTokenAssigned = "oauth_token_assigned"
        case createApplication = "create_application", updateApplication = "update_application", deleteApplication = "delete_application"
        // Repositories and permissions
        case createRepository = "create_repo", deleteRepository = "delete_repo", setRepositoryDescription = "set_repo_description"
        case changeRepositoryVisibility = "change_repo_visibility", changeRepositoryState = "change_repo_state"
        case addRepositoryPermission = "add_repo_permission", changeRepositoryPermission = "change_repo_permission"
        case deleteRepositoryPermission = "delete_repo_permission"
        case createPrototypePermission = "create_prototype_permission", modifyPrototypePermission = "modify_prototype_permission"
        case deletePrototypePermission = "delete_prototype_permission"
        // Registry content
        case pushRepository = "push_repo", pullRepository = "pull_repo"
        case createTag = "create_tag", moveTag = "move_tag", deleteTag = "delete_tag", revertTag = "revert_tag"
        case changeTagExpiration = "change_tag_expiration"
        case manifestLabelAdd = "manifest_label_add", manifestLabelDelete = "manifest_label_delete"
        case blobUpload = "blob_upload", blobMount = "blob_mount", blobDelete = "blob_delete"
        case repositoryStar = "repository_star", repositoryUnstar = "repository_unstar", rescanRequest = "rescan_request"
        // Site
        case messageCreate = "message_create", messageDelete = "message_delete"
        // Usage logs
        case exportLogsSuccess = "export_logs_success", exportLogsFailure = "export_logs_failure"
        // Portus's namespaces and teams
        case namespaceCreate = "namespace.create", namespaceDelete = "namespace.delete"
        case namespaceChangeVisibility = "namespace.change_visibility", namespaceChangeTeam = "namespace.change_team"
        case namespaceChangeName = "namespace.change_namespace_name", namespaceChangeDescription = "namespace.change_namespace_description"
        case teamCreate = "team.create", teamDelete = "team.delete", teamChangeName = "team.change_team_name"
        case teamChangeDescription = "team.change_team_description", teamAddMember = "team.add_member"
        case teamRemoveMember = "team.remove_member", teamChangeMemberRole = "team.change_member_role"

        /// Whether Quay puts the fact in its usage log; the others are for subscribers other than the audit log.
        public var isAudited: Bool { !Self.unaudited.contains(self) }

        static let unaudited: Set<Kind> = [.blobUpload, .blobMount, .blobDelete, .repositoryStar, .repositoryUnstar, .rescanRequest,
                                           .messageCreate, .messageDelete]

        /// Whether the event is delivered before the operation answers (so that the audit log shows it
        /// at once). Pulls and pushes, the registry's hot path, are delivered in batches instead, within
        /// about a second.
        public var isDeliveredAtOnce: Bool { ![.pullRepository, .pushRepository, .blobUpload, .blobMount].contains(self) }
    }

    public let kind: Kind
    /// The namespace (user or organization) the fact belongs to.
    public var namespaceID: Int64?
    public var repositoryID: Int64?
    /// Who did it: an account, or a name still to be looked up (a registry token's user), and from where.
    public var performerID: Int64?
    public var performerName: String?
    public var ip: String?
    /// Whether the performer used an OAuth token (Quay's log metadata says `oauth_token`).
    public var viaOAuth: Bool
    /// The fact's details, Quay's log metadata (`repo`, `namespace`, `tag`, `manifest_digest`, …).
    public var details: [String: String?]
    public var occurredMs: Int64

    public init(_ kind: Kind, namespace: AccountRecord?, by performer: Performer?, repository: RepositoryRecord? = nil,
                details: [String: String?] = [:]) {
        self.kind = kind
        namespaceID = namespace?.id ?? repository?.namespaceId
        repositoryID = repository?.id
        performerID = performer?.account?.id
        performerName = performer?.account == nil ? performer?.name : nil
        ip = performer?.ip
        viaOAuth = performer?.identity.kind == .oauthToken
        self.details = details
        occurredMs = MetadataStore.nowMs()
    }

    /// A fact about the repository `repositoryID`, known by its id only.
    public init(_ kind: Kind, repositoryID: Int64, by performer: Performer?, details: [String: String?] = [:]) {
        self.init(kind, namespace: nil, by: performer, details: details)
        self.repositoryID = repositoryID
    }
}

extension StoreTransaction {
    /// Records `event` in the outbox of this transaction.
    public func emit(_ event: DomainEvent) async throws {
        try await emit([event])
    }

    /// Records `events` in the outbox of this transaction, in as few statements as the batch allows. The
    /// events delivered at once are claimed by this node from the start, for `EventBus.atOnceLeaseMs`.
    public func emit(_ events: [DomainEvent]) async throws {
        let encoder = JSONEncoder()
        let claimedUntil = MetadataStore.nowMs() + EventBus.atOnceLeaseMs
        try await record(try events.map {
            (kind: $0.kind.rawValue, payload: String(decoding: try encoder.encode($0), as: UTF8.self),
             claimedUntilMs: $0.kind.isDeliveredAtOnce ? claimedUntil : nil)
        })
    }

    /// Records an event in the outbox of this transaction.
    public func emit(_ kind: DomainEvent.Kind, namespace: AccountRecord? = nil, by performer: Performer?, repository: RepositoryRecord? = nil,
                     details: [String: String?] = [:]) async throws {
        try await emit(DomainEvent(kind, namespace: namespace, by: performer, repository: repository, details: details))
    }
}
