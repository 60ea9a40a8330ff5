import Foundation
import HTTPTypes
import Hummingbird
import WharfHTTP
import WharfMetadata
import WharfOCI

extension RegistryHandler {
    /// The page size asked for with `n`, clamped to the server's page size as Quay does.
    private func pageSize(_ request: Request) -> Int {
        guard let raw = request.query("n"), let n = Int(raw) else { return configuration.pageSize }
        return max(0, min(n, configuration.pageSize))
    }

    /// `GET /v2/<name>/tags/list?n=&last=`.
    func tagList(_ request: Request, caller: RegistryCaller, name: String) async throws -> Response {
        let repository = try await authorizer.requireExisting(.pull, caller: caller, name: name)
        let n = pageSize(request)
        let last = request.query("last")
        let fetched = n == 0 ? [] : try await store.tagNames(repositoryID: repository.id, after: last, limit: n + 1)
        let (tags, headers) = Self.page(fetched, n: n) { "/v2/\(name)/tags/list?n=\(n)&last=\(Self.queryEscape($0))" }
        struct Body: Encodable { let name: String; let tags: [String] }
        return Responses.json(.ok, encoding: Body(name: name, tags: tags), headers: headers)
    }

    /// `GET /v2/_catalog?n=&next_page=`: the repositories the caller may read (public ones of others
    /// excluded), paginated as Quay does: in id order, `n` clamped to 1…100, an opaque `next_page` token
    /// (also accepted as `last`) and an absolute `Link` to the next page.
    func catalog(_ request: Request, caller: RegistryCaller) async throws -> Response {
        let n = max(1, min(request.query("n").flatMap { Int($0) } ?? configuration.pageSize, configuration.pageSize))
        let afterID = CatalogPageToken.startAfter(request.query("next_page") ?? request.query("last")) ?? 0
        var fetched: [CatalogEntry] = []
        if let account = try await caller.catalogAccount(in: store) {
            fetched = try await store.catalog(accountID: account.id, afterID: afterID, limit: n + 1)
        }
        let shown = fetched.prefix(n)
        var headers = HTTPFields()
        if fetched.count > n, let last = shown.last {
            let token = CatalogPageToken.encode(after: last.id)
            headers[.link] = "<\(configuration.urlScheme)://\(configuration.serverHostname)/v2/_catalog?n=\(n)&next_page=\(token)>; rel=\"next\""
        }
        struct Body: Encodable { let repositories: [String] }
        return Responses.json(.ok, encoding: Body(repositories: shown.map(\.fullName)), headers: headers)
    }

    /// `GET /v2/<name>/referrers/<digest>?artifactType=`: an OCI index of the manifests whose subject is
    /// `digest` (empty when there are none, even if the subject or the repository is unknown).
    func referrers(_ request: Request, caller: RegistryCaller, name: String, digest raw: String) async throws -> Response {
        let repository = try await authorizer.require(.pull, caller: caller, name: name)
        guard let digest = Digest(raw) else { throw RegistryError.digestInvalid("invalid digest", digest: raw) }
        let artifactType = request.query("artifactType").flatMap { $0.isEmpty ? nil : $0 }
        var manifests: [ManifestRecord] = []
        if let repository {
            manifests = try await store.referrers(repositoryID: repository.id, subject: digest.description, artifactType: artifactType)
        }
        let descriptors = manifests.map { manifest in
            Descriptor(mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size,
                       artifactType: manifest.artifactType,
                       annotations: manifest.annotationsJson.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) })
        }
        struct Index: Encodable { let schemaVersion = 2; let mediaType = MediaType.ociIndex; let manifests: [Descriptor] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers = HTTPFields()
        if artifactType != nil { headers[.ociFiltersApplied] = "artifactType" }
        return Responses.json(.ok, try encoder.encode(Index(manifests: descriptors)), headers: headers, contentType: MediaType.ociIndex)
    }

    /// A page fetched with one row too many: the first `n` rows, and a `Link` to the next page (built from
    /// the last row shown) when the extra row shows there is one.
    static func page(_ fetched: [String], n: Int, next: (String) -> String) -> ([String], HTTPFields) {
        guard fetched.count > n, let last = fetched.prefix(n).last else { return (Array(fetched.prefix(n)), [:]) }
        return (Array(fetched.prefix(n)), [.link: "<\(next(last))>; rel=\"next\""])
    }

    static func queryEscape(_ value: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+/")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
