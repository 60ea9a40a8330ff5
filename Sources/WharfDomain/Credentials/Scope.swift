/// Quay's OAuth 2 scopes. A token's scopes cap the roles its owner would otherwise have.
public enum Scope: String, Sendable, CaseIterable, Codable {
    case repoRead = "repo:read"
    case repoWrite = "repo:write"
    case repoAdmin = "repo:admin"
    case repoCreate = "repo:create"
    case userRead = "user:read"
    case userAdmin = "user:admin"
    case orgAdmin = "org:admin"
    case superUser = "super:user"

    /// Parses a space- or comma-separated scope list; as in Quay, any unknown scope empties the set.
    public static func parseList(_ string: String) -> Set<Scope> {
        let names = string.split(whereSeparator: { $0 == " " || $0 == "," })
        var scopes = Set<Scope>()
        for name in names {
            guard let scope = Scope(rawValue: String(name)) else { return [] }
            scopes.insert(scope)
        }
        return scopes
    }

    /// The list form stored with a token.
    public static func render(_ scopes: Set<Scope>) -> String {
        scopes.map(\.rawValue).sorted().joined(separator: " ")
    }
}
