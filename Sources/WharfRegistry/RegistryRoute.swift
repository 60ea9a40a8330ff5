import WharfOCI

/// A `/v2` endpoint, parsed from the request path.
///
/// Repository names may have several components, so the path is read from its end: the last one or two
/// components say which endpoint it is, everything before them is the name.
enum RegistryRoute: Equatable {
    case base
    case token
    case catalog
    case tags(name: String)
    case manifest(name: String, reference: String)
    case blob(name: String, digest: String)
    case uploads(name: String)
    case upload(name: String, id: String)
    case referrers(name: String, digest: String)

    /// Parses a path starting with `/v2`; nil for paths that name no endpoint.
    init?(path: String) {
        guard path == "/v2" || path.hasPrefix("/v2/") else { return nil }
        let rest = path.dropFirst(4)
        switch rest {
        case "": self = .base; return
        case "auth": self = .token; return
        case "_catalog": self = .catalog; return
        default: break
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3 else { return nil }
        let last = parts[parts.count - 1], second = parts[parts.count - 2]
        func name(dropping count: Int) -> String { parts.dropLast(count).joined(separator: "/") }
        if second == "tags" && last == "list" {
            self = .tags(name: name(dropping: 2))
        } else if second == "manifests" {
            self = .manifest(name: name(dropping: 2), reference: last)
        } else if second == "referrers" {
            self = .referrers(name: name(dropping: 2), digest: last)
        } else if second == "blobs" && last != "uploads" {
            self = .blob(name: name(dropping: 2), digest: last)
        } else if parts.count >= 4 && parts[parts.count - 3] == "blobs" && second == "uploads" {
            self = last.isEmpty ? .uploads(name: name(dropping: 3)) : .upload(name: name(dropping: 3), id: last)
        } else if second == "blobs" && last == "uploads" {
            self = .uploads(name: name(dropping: 2))
        } else {
            return nil
        }
    }

    /// The repository name the route addresses, if any.
    var repositoryName: String? {
        switch self {
        case .base, .token, .catalog: return nil
        case .tags(let name), .manifest(let name, _), .blob(let name, _), .uploads(let name),
             .upload(let name, _), .referrers(let name, _):
            return name
        }
    }
}
