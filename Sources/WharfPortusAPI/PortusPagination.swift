import Foundation
import HTTPTypes
import WharfMetadata

/// Portus's list parameters (`all`, `page`, `per_page`, `sort_attr`, `sort_order`) and the headers it
/// answers them with (`X-Page`, `X-Next-Page`, `X-Prev-Page`, `X-Total`, `X-Total-Pages`, `X-Per-Page`,
/// `Link`).
///
/// Two deliberate departures from Portus's master, whose code does not do what it says: the list is
/// in ascending order unless `sort_order` asks otherwise (Portus's default compared a symbol with a
/// string and so always sorted descending), and `X-Per-Page` is the page size used (Portus sent its
/// configuration's default whatever the request asked for).
struct PortusPagination {
    static let defaultPerPage = 15
    /// The largest page number and page size taken; larger values are clamped (their products and sums
    /// then stay far from overflowing).
    static let largest = 1_000_000_000

    let all: Bool
    let page: Int
    let perPage: Int
    let column: String
    let ascending: Bool

    /// The declared list parameters, for validation.
    static let parameters: [ParameterSpec] = [
        .optional("all", .boolean), .optional("page", .integer), .optional("per_page", .integer),
        .optional("sort_attr"), .optional("sort_order"),
    ]

    /// Reads the list parameters; `sortable` maps the attribute names a list may be sorted by to columns
    /// (anything else sorts by id).
    init(_ params: PortusParameters, sortable: [String: String]) throws {
        try params.validate(Self.parameters)
        all = params.boolean("all") ?? false
        page = min(max(params.integer("page") ?? 1, 1), Self.largest)
        perPage = min(max(params.integer("per_page") ?? Self.defaultPerPage, 1), Self.largest)
        column = params.string("sort_attr").flatMap { sortable[$0] } ?? "id"
        ascending = params.string("sort_order").map { $0 == "asc" } ?? true
    }

    /// The page of the store's list this asks for.
    var request: PageRequest {
        PageRequest(column: column, ascending: ascending, offset: (page - 1) * perPage, limit: all ? nil : perPage)
    }

    /// The headers for a page of a list of `total` items, with links built on `url` (scheme, host and
    /// path) and the request's query parameters; none when `all` was asked for.
    func headers(total: Int, url: String, query: [(String, String)]) -> HTTPFields {
        guard !all else { return [:] }
        let pages = max((total + perPage - 1) / perPage, 1)
        let next = page < pages ? String(page + 1) : ""
        let previous = page > 1 && page <= pages ? String(page - 1) : ""
        var fields: HTTPFields = [
            HTTPField.Name("X-Per-Page")!: String(perPage), HTTPField.Name("X-Page")!: String(page),
            HTTPField.Name("X-Next-Page")!: next, HTTPField.Name("X-Prev-Page")!: previous,
            HTTPField.Name("X-Total")!: String(total), HTTPField.Name("X-Total-Pages")!: String(pages),
        ]
        func link(_ target: Int, _ relation: String) -> String {
            var items = query.filter { $0.0 != "page" && $0.0 != "per_page" }
            items.append(("page", String(target)))
            items.append(("per_page", String(perPage)))
            let encoded = items.sorted { $0.0 < $1.0 }.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
            return "<\(url)?\(encoded)>; rel=\"\(relation)\""
        }
        var links: [String] = []
        if let previous = Int(previous) { links.append(link(previous, "prev")) }
        if let next = Int(next) { links.append(link(next, "next")) }
        links.append(link(1, "first"))
        links.append(link(pages, "last"))
        fields[.link] = links.joined(separator: ", ")
        return fields
    }

    /// Percent-encoding as Rails' `to_query` does it (unreserved characters kept).
    static func encode(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
