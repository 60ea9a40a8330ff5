import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata
import WharfOCI

/// `/repository/{repository}/tag/…`: the tag history, and changing, deleting and restoring tags.
struct TagRoutes {
    let services: QuayServices
    var access: RepositoryGate { RepositoryGate(services: services) }
    var tags: TagService { services.tags }

    var routes: [QuayRoute] {
        let tag = "/api/v1/repository/{repository}/tag/{tag}"
        return [
            QuayRoute(.get, "/api/v1/repository/{repository}/tag/", operationID: "listRepoTags",
                      summary: "List the tags and their history in a repository.", scope: .repoRead, query: [
                          QuayParameter("onlyActiveTags", .boolean, "Filter to only active tags."),
                          QuayParameter("page", .integer, "Page index for the results. Default 1."),
                          QuayParameter("limit", .integer, "Limit to the number of results to return per page. Max 100."),
                          QuayParameter("filter_tag_name", .string, "Syntax: <op>:<name> Filters the tag names based on the operation.<op> can be 'like' or 'eq'."),
                          QuayParameter("specificTag", .string, "Filters the tags to the specific tag."),
                      ], handler: list),
            QuayRoute(.put, tag, operationID: "changeTag", summary: "Change which manifest a tag points to, or when it expires.",
                      scope: .repoWrite, body: QuayBodySchema("ChangeTag", "Makes changes to a specific tag", [
                          QuayParameter("manifest_digest", .string, "(If specified) The manifest digest to which the tag should point"),
                          QuayParameter("expiration", .integer, "(If specified) The expiration for the image"),
                      ]), handler: change),
            QuayRoute(.delete, tag, operationID: "deleteFullTag", summary: "Delete the specified repository tag.", scope: .repoWrite, handler: delete),
            QuayRoute(.post, tag + "/restore", operationID: "restoreTag", summary: "Restores a repository tag back to a previous image in the repository.",
                      scope: .repoWrite, body: QuayBodySchema("RestoreTag", "Restores a tag to a specific image", [
                          QuayParameter("manifest_digest", .string, "If specified, the manifest digest that should be used", required: true),
                      ]), handler: restore),
        ]
    }

    /// Quay's page size bounds for the tag list.
    static let pageSizes = 1...100
    static let defaultPageSize = 50
    /// The pages a request may ask for: far beyond any history, and small enough that the offset of the
    /// page (at most 100 rows a page) stays an ordinary number.
    static let pages = 1...1_000_000_000

    /// The tag history, newest first, `page`/`limit` at a time with `has_additional`; `onlyActiveTags`,
    /// `specificTag` and `filter_tag_name` (`like:` or `eq:`) narrow it.
    @Sendable func list(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.read, call)
        let limit = min(max(try call.integer("limit") ?? Self.defaultPageSize, Self.pageSizes.lowerBound), Self.pageSizes.upperBound)
        let page = max(try call.integer("page") ?? 1, 1)
        guard Self.pages.contains(page) else {
            throw QuayAPIError.invalidRequest("page must be between \(Self.pages.lowerBound) and \(Self.pages.upperBound)")
        }
        var name = TagHistoryQuery.NameFilter.any
        if let filter = call.query("filter_tag_name") {
            guard let colon = filter.firstIndex(of: ":") else {
                throw QuayAPIError.message(400, "Unsupported syntax for filter_tag_name. Use 'like:<value>' or 'eq:<value>'")
            }
            let value = String(filter[filter.index(after: colon)...])
            switch filter[..<colon] {
            case "like": name = .contains(value)
            case "eq": name = .equals(value)
            default: break
            }
        }
        if let specific = call.query("specificTag"), !specific.isEmpty { name = .equals(specific) }
        let rows = try await tags.history(of: repository, name: name, onlyActive: call.flag("onlyActiveTags", default: false),
                                          offset: (page - 1) * limit, limit: limit + 1)
        let shown = Array(rows.prefix(limit))
        let lists = shown.filter { MediaType.indexes.contains($0.mediaType) }.map(\.manifestID)
        let children = try await services.store.childDigests(of: lists)
        return QuayJSON.response(.ok, [
            "tags": shown.map { Self.view($0, children: children[$0.manifestID]) }, "page": page, "has_additional": rows.count > limit,
        ])
    }

    /// One history row as Quay shows it.
    static func view(_ tag: TagHistoryRow, children: [String]?) -> [String: Any] {
        let isList = MediaType.indexes.contains(tag.mediaType)
        var view: [String: Any] = [
            "name": tag.name, "reversion": tag.reversion, "manifest_digest": tag.manifestDigest, "is_manifest_list": isList,
            "size": isList ? jsonNull : tag.layersSize, "last_modified": QuayViews.date(ms: tag.startMs),
        ]
        if tag.startMs > 0 { view["start_ts"] = tag.startMs / 1000 }
        if let end = tag.endMs {
            view["end_ts"] = end / 1000
            view["expiration"] = QuayViews.date(ms: end)
        }
        if isList {
            let children = children ?? []
            view["is_sparse"] = false
            view["child_manifest_count"] = children.count
            view["present_child_count"] = children.count
            view["child_manifests_presence"] = Dictionary(uniqueKeysWithValues: children.map { ($0, true) })
        }
        return view
    }

    struct ChangeBody: Decodable {
        let manifestDigest: String??
        let expiration: Double??

        enum CodingKeys: String, CodingKey {
            case manifestDigest = "manifest_digest"
            case expiration
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            manifestDigest = container.contains(.manifestDigest) ? .some(try container.decodeNil(forKey: .manifestDigest) ? nil : try container.decode(String.self, forKey: .manifestDigest)) : nil
            expiration = container.contains(.expiration) ? .some(try container.decodeNil(forKey: .expiration) ? nil : try container.decode(Double.self, forKey: .expiration)) : nil
        }
    }

    /// `expiration` (epoch seconds, or null to clear) and `manifest_digest` (move the tag); 201 `"Updated"`.
    @Sendable func change(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.write, call)
        let name = call.parameter("tag")
        let body: ChangeBody = try await QuayJSON.decode(call.request)
        let performer = call.caller.performer
        if let expiration = body.expiration {
            try await tags.changeExpiration(repository, tag: name, to: expiration.map { Date(timeIntervalSince1970: $0) }, by: performer)
        }
        if let digest = body.manifestDigest {
            guard let digest else { throw QuayAPIError.notFound }
            try await tags.move(repository, tag: name, to: digest, by: performer)
        }
        return QuayJSON.response(.created, "Updated")
    }

    /// Ends the tag (restorable within the namespace's time-machine window); 204.
    @Sendable func delete(_ call: QuayRequest) async throws -> Response {
        let grant = try await access.requireGrant(.write, call)
        try await tags.delete(call.parameter("tag"), with: grant, by: call.caller.performer)
        return Responses.empty(.noContent)
    }

    struct RestoreBody: Decodable { let manifest_digest: String }

    /// Points the tag back at a manifest of its history; `{}`.
    @Sendable func restore(_ call: QuayRequest) async throws -> Response {
        let repository = try await access.require(.write, call)
        let body: RestoreBody = try await QuayJSON.decode(call.request)
        try await tags.restore(repository, tag: call.parameter("tag"), to: body.manifest_digest, by: call.caller.performer)
        return QuayJSON.response(.ok, [String: Any]())
    }
}
