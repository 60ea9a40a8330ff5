import Foundation
import Hummingbird
import WharfHTTP
import WharfDomain
import WharfMetadata
import WharfOCI
import WharfStorage

/// `/repository/{repository}/manifest/{manifestref}…`: a manifest with its layers, its labels, and its
/// security report.
struct ManifestRoutes {
    let services: QuayServices
    var access: RepositoryGate { RepositoryGate(services: services) }

    var routes: [QuayRoute] {
        let manifest = "/api/v1/repository/{repository}/manifest/{manifestref}"
        return [
            QuayRoute(.get, manifest, operationID: "getRepoManifest", summary: "Get the manifest, with its layers.", scope: .repoRead, handler: get),
            QuayRoute(.get, manifest + "/labels", operationID: "listManifestLabels", summary: "List the labels of a manifest.",
                      scope: .repoRead, query: [QuayParameter("filter", .string, "If specified, only labels matching the given prefix will be returned")],
                      handler: listLabels),
            QuayRoute(.post, manifest + "/labels", operationID: "addManifestLabel", summary: "Adds a new label into the tag manifest.",
                      scope: .repoWrite, body: QuayBodySchema("AddLabel", "Adds a label to a manifest", [
                          QuayParameter("key", .string, "The key for the label", required: true),
                          QuayParameter("value", .string, "The value for the label", required: true),
                          QuayParameter("media_type", .string, "The media type for this label", required: true),
                      ]), handler: addLabel),
            QuayRoute(.get, manifest + "/labels/{labelid}", operationID: "getManifestLabel", summary: "Retrieves the label with the specific ID under the manifest.",
                      scope: .repoRead, handler: getLabel),
            QuayRoute(.delete, manifest + "/labels/{labelid}", operationID: "deleteManifestLabel", summary: "Deletes an existing label from a manifest.",
                      scope: .repoWrite, handler: deleteLabel),
            QuayRoute(.get, manifest + "/security", operationID: "getRepoManifestSecurity",
                      summary: "The security report of a manifest: not found while no scanner is configured.", scope: .repoRead, handler: security),
        ]
    }

    /// The repository and the reachable manifest `{manifestref}`; 404 when the manifest is not reachable.
    func manifest(_ call: QuayRequest, _ role: RepositoryRole) async throws -> (RepositoryRecord, ManifestRecord) {
        let repository = try await access.require(role, call)
        let reference = call.parameter("manifestref")
        guard Digest(reference) != nil,
              let manifest = try await services.store.reachableManifest(repositoryID: repository.id, digest: reference) else {
            throw QuayAPIError.notFound
        }
        return (repository, manifest)
    }

    /// Quay's manifest view; `layers` (from the manifest and its image config's history) is null for lists.
    @Sendable func get(_ call: QuayRequest) async throws -> Response {
        let (_, manifest) = try await manifest(call, .read)
        let isList = MediaType.indexes.contains(manifest.mediaType)
        let parsed = try? ManifestParser.parse(Data(manifest.manifestBytes.utf8), contentType: manifest.mediaType)
        var view: [String: Any] = [
            "digest": manifest.digest, "is_manifest_list": isList, "manifest_data": manifest.manifestBytes,
            "config_media_type": parsed?.configMediaType ?? jsonNull,
            "layers_compressed_size": parsed?.layersSize ?? 0, "layers": jsonNull,
        ]
        if !isList, let parsed, let config = parsed.blobs.first {
            let layers = Array(parsed.blobs.dropFirst())
            var history = [ImageConfig.HistoryEntry?](repeating: nil, count: layers.count)
            if ImageConfig.mediaTypes.contains(config.mediaType), let digest = Digest(config.digest),
               let image = try await services.blobs.imageConfig(digest) {
                history = image.layerHistory(layerCount: layers.count)
            }
            view["layers"] = layers.enumerated().map { index, layer in Self.layerView(layer, index: index, history: history[index]) }
        }
        return QuayJSON.response(.ok, view)
    }

    /// One layer as Quay's `_layer_dict` shows it.
    static func layerView(_ layer: Descriptor, index: Int, history: ImageConfig.HistoryEntry?) -> [String: Any] {
        let created = history?.created.flatMap(Self.parseDate).flatMap { Int64(exactly: ($0.timeIntervalSince1970 * 1000).rounded()) }
            .map(QuayViews.date(ms:))
        return [
            "index": index, "compressed_size": layer.size, "is_remote": !(layer.urls ?? []).isEmpty, "urls": layer.urls ?? jsonNull,
            "command": history?.createdBy.map { [$0] } ?? jsonNull, "comment": history?.comment ?? jsonNull,
            "author": history?.author ?? jsonNull, "blob_digest": layer.digest, "created_datetime": created ?? jsonNull,
        ]
    }

    /// An RFC 3339 date of an image config, with or without fractional seconds.
    static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// `{"id", "key", "value", "source_type", "media_type"}`.
    static func labelView(_ label: LabelRecord) -> [String: Any] {
        ["id": label.uuid, "key": label.key, "value": label.value, "source_type": label.sourceType, "media_type": label.mediaType]
    }

    /// The manifest's labels; `filter` keeps those whose key starts with it.
    @Sendable func listLabels(_ call: QuayRequest) async throws -> Response {
        let (_, manifest) = try await manifest(call, .read)
        let labels = try await services.store.labels(manifestID: manifest.id, keyPrefix: call.query("filter"))
        return QuayJSON.response(.ok, ["labels": labels.map(Self.labelView)])
    }

    struct LabelBody: Decodable {
        let key: String
        let value: String
        let media_type: String?
    }

    /// Adds a label; 201 with `{"label": …}` and its `Location`.
    @Sendable func addLabel(_ call: QuayRequest) async throws -> Response {
        let (repository, manifest) = try await manifest(call, .write)
        let body: LabelBody = try await QuayJSON.decode(call.request)
        let label = try await services.labels.add(repository, manifest: manifest, key: body.key, value: body.value,
                                                  mediaType: body.media_type, by: call.caller.performer)
        let location = "/api/v1/repository/\(repository.namespaceName)/\(repository.name)/manifest/\(manifest.digest)/labels/\(label.uuid)"
        return QuayJSON.response(.created, ["label": Self.labelView(label)], headers: [.location: location])
    }

    @Sendable func getLabel(_ call: QuayRequest) async throws -> Response {
        let (_, manifest) = try await manifest(call, .read)
        guard let label = try await services.store.label(manifestID: manifest.id, uuid: call.parameter("labelid")) else {
            throw QuayAPIError.notFound
        }
        return QuayJSON.response(.ok, Self.labelView(label))
    }

    @Sendable func deleteLabel(_ call: QuayRequest) async throws -> Response {
        let (repository, manifest) = try await manifest(call, .write)
        try await services.labels.delete(repository, manifest: manifest, uuid: call.parameter("labelid"), by: call.caller.performer)
        return Responses.empty(.noContent)
    }

    /// Without a configured scanner Quay registers no such route, and the request falls to the repository
    /// endpoint: refused (401/403) for those who may not read the repository, 404 for those who may.
    @Sendable func security(_ call: QuayRequest) async throws -> Response {
        _ = try await access.require(.read, call)
        throw QuayAPIError.notFound
    }
}
