/// A query parameter or body property of an endpoint, as the discovery document describes it.
public struct QuayParameter: Sendable {
    /// The JSON schema type of the value.
    public enum ValueType: String, Sendable {
        case string, integer, boolean, object, array
    }

    public let name: String
    public let type: ValueType
    public let description: String
    public let required: Bool

    public init(_ name: String, _ type: ValueType, _ description: String, required: Bool = false) {
        self.name = name
        self.type = type
        self.description = description
        self.required = required
    }
}

/// The JSON request body an endpoint reads: the name of its schema in the discovery document's
/// `definitions` (Quay's names, e.g. `NewRepo`; an empty description is left out), its properties, and
/// whether the body may be left out (an empty body read as `{}`).
public struct QuayBodySchema: Sendable {
    public let name: String
    public let description: String
    public let properties: [QuayParameter]
    public let required: Bool

    public init(_ name: String, _ description: String, _ properties: [QuayParameter], required: Bool = true) {
        self.name = name
        self.description = description
        self.properties = properties
        self.required = required
    }
}

/// Parameters several endpoints share.
enum CommonParameters {
    static let starttime = QuayParameter("starttime", .string, "Earliest time for logs. Format: \"%m/%d/%Y\" in UTC.")
    static let endtime = QuayParameter("endtime", .string, "Latest time for logs. Format: \"%m/%d/%Y\" in UTC.")
    static let performer = QuayParameter("performer", .string, "Username for which to filter logs.")
    static let nextPage = QuayParameter("next_page", .string, "The page token for the next page")
}
