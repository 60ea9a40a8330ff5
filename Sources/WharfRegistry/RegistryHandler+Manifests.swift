import Foundation
import HTTPTypes
import Hummingbird
import WharfDomain
import WharfHTTP
import WharfMetadata
import WharfOCI

extension RegistryHandler {
    /// `GET`/`HEAD /v2/<name>/manifests/<reference>`.
    ///
    /// By digest the stored bytes are returned whatever the `Accept` header says. By tag, when the stored type
    /// is not acceptable and the manifest is an index, its linux/amd64 child is returned if that is acceptable.
    func getManifest(_ request: Request, caller: RegistryCaller, name: String, reference raw: String) async throws -> Response {
        let repositoryName = try RegistryAuthorizer.parse(name)
        guard let reference = Reference(raw) else {
            _ = try await authorizer.require(.pull, caller: caller, name: name)
            throw RegistryError.manifestUnknown(raw)
        }
        var manifest: ManifestRecord
        let repository: RepositoryRecord
        switch reference {
        case .digest(let digest):
            guard let readable = try await authorizer.require(.pull, caller: caller, name: name) else { throw RegistryError.nameUnknown(name) }
            guard let found = try await store.reachableManifest(repositoryID: readable.id, digest: digest.description) else {
                throw RegistryError.manifestUnknown(raw)
            }
            repository = readable
            manifest = found
        case .tag(let tag):
            let lookup = try await store.repositoryAndTaggedManifest(namespace: repositoryName.namespace, name: repositoryName.repository, tag: tag)
            let standing = try await authorizer.standing(caller, on: repositoryName, repository: lookup?.0)
            guard let readable = try await authorizer.require(.pull, caller: caller, standing: standing) else { throw RegistryError.nameUnknown(name) }
            repository = readable
            guard let found = lookup?.1 else {
                if try await store.tagHasHistory(repositoryID: repository.id, tag: tag) {
                    throw RegistryError(.manifestUnknown, status: 404,
                                        "Tag \(tag) was deleted or has expired; the time machine can restore it", detail: ["tag": tag])
                }
                throw RegistryError.manifestUnknown(raw)
            }
            manifest = found
            let accepted = Self.acceptedTypes(request)
            if !accepted.isEmpty, !accepted.contains(manifest.mediaType), !accepted.contains("*/*"),
               MediaType.indexes.contains(manifest.mediaType),
               let child = try await platformChild(of: manifest, repositoryID: repository.id, accepted: accepted) {
                manifest = child
            }
        }
        let headers: HTTPFields = [.contentType: manifest.mediaType, .dockerContentDigest: manifest.digest,
                                   .contentLength: String(manifest.size), .eTag: "\"\(manifest.digest)\""]
        if request.method == .head {
            return Response(status: .ok, headers: headers, body: ResponseBody())
        }
        activity.record(repositoryID: repository.id)
        let pulled: [String: String?] = switch reference {
        case .tag(let tag): ["tag": tag]
        case .digest: ["manifest_digest": manifest.digest]
        }
        recordSoon(.pullRepository, request, caller: caller, repository: repository, details: pulled)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: manifest.manifestBytes)))
    }

    /// The media types listed in `Accept` headers (exact strings, parameters dropped).
    static func acceptedTypes(_ request: Request) -> Set<String> {
        var types = Set<String>()
        for value in request.headers[values: .accept] {
            for item in value.split(separator: ",") {
                let type = item.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                if !type.isEmpty { types.insert(type) }
            }
        }
        return types
    }

    /// The linux/amd64 child of an index, when its type is acceptable.
    private func platformChild(of index: ManifestRecord, repositoryID: Int64, accepted: Set<String>) async throws -> ManifestRecord? {
        struct Index: Decodable { let manifests: [Descriptor] }
        guard let parsed = try? JSONDecoder().decode(Index.self, from: Data(index.manifestBytes.utf8)),
              let entry = parsed.manifests.first(where: { $0.platform?.os == "linux" && $0.platform?.architecture == "amd64" }),
              accepted.contains(entry.mediaType) else { return nil }
        return try await store.reachableManifest(repositoryID: repositoryID, digest: entry.digest)
    }

    /// `PUT /v2/<name>/manifests/<reference>`: validates, checks every reference exists, stores, tags.
    func putManifest(_ request: Request, caller: RegistryCaller, name: String, reference raw: String) async throws -> Response {
        let repository = try await authorizer.requireExisting(.push, caller: caller, name: name)
        guard let reference = Reference(raw) else {
            throw RegistryError(.manifestInvalid, status: 400, "invalid tag or digest", detail: ["reference": raw])
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > configuration.maximumManifestSize {
            throw manifestTooLarge
        }
        var body = request
        let buffer: ByteBuffer
        do {
            buffer = try await body.collectBody(upTo: configuration.maximumManifestSize)
        } catch where EdgeError.isTooLarge(error) {
            throw manifestTooLarge
        }
        let bytes = Data(buffer.readableBytesView)
        let parsed: ParsedManifest
        do {
            parsed = try ManifestParser.parse(bytes, contentType: request.headers[.contentType])
        } catch {
            switch error {
            case .unsupportedMediaType(let message): throw RegistryError(.manifestInvalid, status: 415, message)
            case .invalid(let message): throw RegistryError.manifestInvalid(message)
            }
        }
        guard let text = String(data: bytes, encoding: .utf8) else { throw RegistryError.manifestInvalid("manifest is not UTF-8") }
        let digest: Digest
        let target: ManifestTarget
        switch reference {
        case .digest(let expected):
            digest = Digest.of(bytes, algorithm: expected.algorithm)
            guard digest == expected else {
                throw RegistryError.digestInvalid("manifest digest \(digest) does not match the reference", digest: raw)
            }
            target = .hidden(expiresMs: parsed.subject == nil ? MetadataStore.nowMs() + configuration.temporaryLinkSeconds * 1000 : nil)
        case .tag(let tag):
            digest = Digest.of(bytes)
            target = .tag(tag)
        }
        let annotations = parsed.annotations.flatMap { try? JSONEncoder().encode($0) }.flatMap { String(data: $0, encoding: .utf8) }
        let manifest = NewManifest(
            repositoryId: repository.id, digest: digest.description, mediaType: parsed.mediaType, bytes: text,
            size: Int64(bytes.count), configMediaType: parsed.configMediaType, artifactType: parsed.artifactType,
            subjectDigest: parsed.subject?.digest, annotationsJson: annotations, layersSize: parsed.layersSize,
            blobDigests: parsed.blobs.filter { !$0.isNonDistributable }.map(\.digest), childDigests: parsed.children.map(\.digest),
            labels: try await configLabels(parsed))
        try await domain.manifests.push(manifest, to: target, in: repository, by: caller.performer, client: request.headers[.userAgent])
        var headers: HTTPFields = [.location: path(name, "manifests/\(digest)"), .dockerContentDigest: digest.description]
        if let subject = parsed.subject { headers[.ociSubject] = subject.digest }
        activity.record(repositoryID: repository.id)
        return Responses.empty(.created, headers: headers)
    }

    /// The labels of an image manifest's config (`quay.expires-after` among them), read from the config
    /// blob; empty for other manifests or when the blob is not an image config.
    private func configLabels(_ parsed: ParsedManifest) async throws -> [String: String] {
        guard let mediaType = parsed.configMediaType, ImageConfig.mediaTypes.contains(mediaType),
              let config = parsed.blobs.first.flatMap({ Digest($0.digest) }) else { return [:] }
        return try await blobs.imageConfig(config)?.labels ?? [:]
    }

    private var manifestTooLarge: RegistryError {
        RegistryError(.sizeInvalid, status: 413, "manifest exceeds the maximum size of \(configuration.maximumManifestSize) bytes")
    }

    /// `DELETE /v2/<name>/manifests/<reference>`: by digest, ends every tag pointing at the manifest; by
    /// tag, ends that tag. Both stay restorable through the time machine.
    func deleteManifest(_ request: Request, caller: RegistryCaller, name: String, reference raw: String) async throws -> Response {
        guard let grant = try await authorizer.requireGrant(.delete, caller: caller, name: name) else { throw RegistryError.nameUnknown(name) }
        guard let reference = Reference(raw) else { throw RegistryError.manifestUnknown(raw) }
        do {
            switch reference {
            case .digest(let digest): try await domain.manifests.delete(digest.description, with: grant, by: caller.performer)
            case .tag(let tag): try await domain.tags.delete(tag, with: grant, by: caller.performer)
            }
        } catch DomainError.notFound {
            throw RegistryError.manifestUnknown(raw)
        }
        return Responses.empty(.accepted)
    }
}
