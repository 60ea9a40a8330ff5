import Foundation
import Hummingbird
import WharfDomain
import WharfMetadata

/// The usage logs of a user, an organization, a repository and (for superusers) the whole registry:
/// pages of entries, counts per kind and day, and exports.
struct LogRoutes {
    let services: QuayServices
    var repositoryAccess: RepositoryGate { RepositoryGate(services: services) }
    var organizationAccess: OrganizationGate { OrganizationGate(services: services) }

    /// Entries per page, newest first (Quay's `LOGS_PER_PAGE`).
    static let pageSize = 20
    /// Kinds the user log leaves out (Quay's `SERVICE_LEVEL_LOG_KINDS`).
    static let serviceKinds = ["service_key_create", "service_key_approve", "service_key_delete", "service_key_modify",
                               "service_key_extend", "service_key_rotate"]
    /// The longest window counts are aggregated over.
    static let aggregateDays: Int64 = 31

    var routes: [QuayRoute] {
        let window = [CommonParameters.starttime, CommonParameters.endtime]
        let filtered = window + [CommonParameters.performer]
        let export = QuayBodySchema("ExportLogs", "Configuration for an export logs operation", [
            QuayParameter("callback_url", .string, "The callback URL to invoke with a link to the exported logs"),
            QuayParameter("callback_email", .string, "The e-mail address at which to e-mail a link to the exported logs"),
        ])
        let organization = "/api/v1/organization/{orgname}"
        let repository = "/api/v1/repository/{repository}"
        return [
            QuayRoute(.get, "/api/v1/user/logs", operationID: "listUserLogs", summary: "List the logs for the current user.",
                      scope: .userAdmin, query: filtered + [CommonParameters.nextPage], handler: userLogs),
            QuayRoute(.get, "/api/v1/user/aggregatelogs", operationID: "getAggregateUserLogs",
                      summary: "Returns the aggregated logs for the current user.", scope: .userAdmin, query: filtered, handler: userAggregate),
            QuayRoute(.post, "/api/v1/user/exportlogs", operationID: "exportUserLogs", summary: "Queues an export of the logs for the current user.",
                      scope: .userAdmin, query: window, body: export, handler: userExport),
            QuayRoute(.get, organization + "/logs", operationID: "listOrgLogs", summary: "List the logs for the specified organization.",
                      scope: .orgAdmin, query: filtered + [CommonParameters.nextPage], handler: organizationLogs),
            QuayRoute(.get, organization + "/aggregatelogs", operationID: "getAggregateOrgLogs",
                      summary: "Gets the aggregated logs for the specified organization.", scope: .orgAdmin, query: filtered,
                      handler: organizationAggregate),
            QuayRoute(.post, organization + "/exportlogs", operationID: "exportOrgLogs", summary: "Exports the logs for the specified organization.",
                      scope: .orgAdmin, query: window, body: export, handler: organizationExport),
            QuayRoute(.get, repository + "/logs", operationID: "listRepoLogs", summary: "List the logs for the specified repository.",
                      scope: .repoAdmin, query: window + [CommonParameters.nextPage], handler: repositoryLogs),
            QuayRoute(.get, repository + "/aggregatelogs", operationID: "getAggregateRepoLogs",
                      summary: "Returns the aggregated logs for the specified repository.", scope: .repoAdmin, query: window,
                      handler: repositoryAggregate),
            QuayRoute(.post, repository + "/exportlogs", operationID: "exportRepoLogs",
                      summary: "Queues an export of the logs for the specified repository.", scope: .repoAdmin, query: window, body: export,
                      handler: repositoryExport),
            QuayRoute(.get, "/api/v1/superuser/logs", operationID: "listAllLogs", summary: "List the usage logs for the current system.",
                      scope: .superUser, query: window + [QuayParameter("page", .integer, "The page number for the logs"), CommonParameters.nextPage],
                      handler: allLogs),
            QuayRoute(.get, "/api/v1/superuser/aggregatelogs", operationID: "listAllAggregateLogs",
                      summary: "Returns the aggregated logs for the current system.", scope: .superUser, query: window, handler: allAggregate),
        ]
    }

    // MARK: who may read which log

    @Sendable func userLogs(_ call: QuayRequest) async throws -> Response {
        try await page(call, scope: .namespace(try user(call).id), performer: true, excluded: Self.serviceKinds)
    }

    @Sendable func userAggregate(_ call: QuayRequest) async throws -> Response {
        try await aggregate(call, scope: .namespace(try user(call).id), performer: true, excluded: Self.serviceKinds)
    }

    @Sendable func userExport(_ call: QuayRequest) async throws -> Response {
        try await export(call, namespace: try user(call), repository: nil)
    }

    @Sendable func organizationLogs(_ call: QuayRequest) async throws -> Response {
        try await page(call, scope: .namespace(try await organization(call).id), performer: true)
    }

    @Sendable func organizationAggregate(_ call: QuayRequest) async throws -> Response {
        try await aggregate(call, scope: .namespace(try await organization(call).id), performer: true)
    }

    @Sendable func organizationExport(_ call: QuayRequest) async throws -> Response {
        try await export(call, namespace: try await organization(call), repository: nil)
    }

    @Sendable func repositoryLogs(_ call: QuayRequest) async throws -> Response {
        try await page(call, scope: .repository(try await repositoryAccess.require(.admin, call).id), performer: false)
    }

    @Sendable func repositoryAggregate(_ call: QuayRequest) async throws -> Response {
        try await aggregate(call, scope: .repository(try await repositoryAccess.require(.admin, call).id), performer: false)
    }

    @Sendable func repositoryExport(_ call: QuayRequest) async throws -> Response {
        let repository = try await repositoryAccess.require(.admin, call)
        guard let namespace = try await services.store.account(id: repository.namespaceId) else { throw QuayAPIError.notFound }
        return try await export(call, namespace: namespace, repository: repository)
    }

    @Sendable func allLogs(_ call: QuayRequest) async throws -> Response {
        try requireSuperuser(call)
        return try await page(call, scope: .everything, performer: false)
    }

    @Sendable func allAggregate(_ call: QuayRequest) async throws -> Response {
        try requireSuperuser(call)
        return try await aggregate(call, scope: .everything, performer: false)
    }

    private func user(_ call: QuayRequest) throws -> AccountRecord {
        try call.caller.administeredAccount(services.policy)
    }

    private func organization(_ call: QuayRequest) async throws -> AccountRecord {
        try await organizationAccess.requireAdmin(call.parameter("orgname"), call.caller)
    }

    private func requireSuperuser(_ call: QuayRequest) throws {
        guard call.caller.identity.actsAsSuperuser else { throw call.caller.refusal }
    }

    // MARK: reading and exporting

    /// The query for `scope` in the request's window, narrowed to the `performer` parameter when the
    /// endpoint takes one; nil when that performer does not exist (nothing can match).
    private func query(_ call: QuayRequest, scope: LogQuery.Scope, performer: Bool, excluded: [String]) async throws -> (LogWindow, LogQuery?) {
        let window = try LogWindow.parse(start: call.query("starttime"), end: call.query("endtime"), nowMs: MetadataStore.nowMs())
        var query = LogQuery(scope: scope, startMs: window.startMs, endMs: window.endMs, excludedKinds: excluded)
        if performer, let name = call.query("performer"), !name.isEmpty {
            guard let account = try await services.store.account(named: name) else { return (window, nil) }
            query.performerID = account.id
        }
        return (window, query)
    }

    /// One page of entries, newest first, with `next_page` when there are more.
    private func page(_ call: QuayRequest, scope: LogQuery.Scope, performer: Bool, excluded: [String] = []) async throws -> Response {
        let (window, query) = try await query(call, scope: scope, performer: performer, excluded: excluded)
        var entries: [LogEntryView] = []
        if let query {
            entries = try await services.store.logPage(query, after: PageToken.logCursor(call.query("next_page")), limit: Self.pageSize + 1)
        }
        let shown = entries.prefix(Self.pageSize)
        var body: [String: Any] = [
            "start_time": QuayViews.date(ms: window.startMs), "end_time": QuayViews.date(ms: window.endMs),
            "logs": shown.map { LogViews.entry($0, includeNamespace: scope == .everything) },
        ]
        if entries.count > Self.pageSize, let last = shown.last {
            body["next_page"] = PageToken.encode(LogCursor(datetimeMs: last.entry.datetimeMs, id: last.entry.id))
        }
        return QuayJSON.response(.ok, body)
    }

    /// Counts per kind and day, over at most a month.
    private func aggregate(_ call: QuayRequest, scope: LogQuery.Scope, performer: Bool, excluded: [String] = []) async throws -> Response {
        let (window, query) = try await query(call, scope: scope, performer: performer, excluded: excluded)
        guard window.endMs - window.startMs < Self.aggregateDays * LogWindow.dayMs else {
            throw QuayAPIError.message(400, "Invalid date range for logs")
        }
        var counts: [LogCount] = []
        if let query { counts = try await services.store.logCounts(query) }
        return QuayJSON.response(.ok, ["aggregated": counts.map { count in
            ["kind": count.kind, "count": count.count, "datetime": QuayViews.date(ms: count.day * LogWindow.dayMs)] as [String: Any]
        }])
    }

    private struct ExportBody: Decodable {
        let callback_url: String?
        let callback_email: String?
    }

    /// Queues an export of the window's entries of `namespace` (or of `repository`).
    private func export(_ call: QuayRequest, namespace: AccountRecord, repository: RepositoryRecord?) async throws -> Response {
        let window = try LogWindow.parse(start: call.query("starttime"), end: call.query("endtime"), nowMs: MetadataStore.nowMs())
        let body = try await QuayJSON.decode(call.request, as: ExportBody.self)
        let id = try await services.logExports.queue(namespace: namespace, repository: repository, startMs: window.startMs, endMs: window.endMs,
                                                     callbackURL: body.callback_url, callbackEmail: body.callback_email,
                                                     by: call.caller.performer)
        return QuayJSON.response(.ok, ["export_id": id])
    }
}
