import Foundation
import WharfMetadata
import WharfOCI

/// Labels on manifests as the APIs manage them. A `quay.expires-after` label makes the tags pointing at
/// the manifest expire, as in Quay.
public struct LabelService: Sendable {
    let store: MetadataStore

    /// Key prefixes reserved to Docker (Quay's `LABEL_KEY_RESERVED_PREFIXES`).
    public static let reservedPrefixes = ["com.docker.", "io.docker.", "org.dockerproject."]
    /// The media types a label value may have.
    public static let mediaTypes: Set<String> = ["text/plain", "application/json"]

    public init(store: MetadataStore) {
        self.store = store
    }

    /// Adds a label through the API (source `api`); `mediaType` nil means `text/plain`.
    public func add(_ repository: RepositoryRecord, manifest: ManifestRecord, key: String, value: String, mediaType: String?,
                    by performer: Performer) async throws -> LabelRecord {
        try TagService.requireWritable(repository)
        if Self.reservedPrefixes.contains(where: key.hasPrefix) { throw DomainError.rejected("Label has a reserved prefix") }
        guard Self.isValidKey(key) else {
            throw DomainError.rejected("Label is of an invalid format or missing please use ^[a-z0-9](([a-z0-9]|[-.](?![.-]))*[a-z0-9])?$ format for labels")
        }
        let mediaType = mediaType ?? "text/plain"
        guard Self.mediaTypes.contains(mediaType) else {
            throw DomainError.rejected("Media type is invalid please use a valid media type: text/plain, application/json")
        }
        return try await store.transaction { tx in
            let label = try await tx.addLabel(manifestID: manifest.id, repositoryID: repository.id, key: key, value: value,
                                              mediaType: mediaType, sourceType: "api")
            if key == MetadataStore.expiresAfterLabel, let seconds = LabelDuration.seconds(value) {
                try await tx.expireTags(ofManifest: manifest.id, secondsAfterStart: seconds)
            }
            try await tx.emit(.manifestLabelAdd, by: performer, repository: repository, details: [
                "id": label.uuid, "key": key, "value": value, "manifest_digest": manifest.digest, "media_type": mediaType,
                "namespace": repository.namespaceName, "repo": repository.name,
            ])
            return label
        }
    }

    /// Deletes a label added through the API (labels from the image config cannot be deleted).
    public func delete(_ repository: RepositoryRecord, manifest: ManifestRecord, uuid: String, by performer: Performer) async throws {
        try TagService.requireWritable(repository)
        guard let label = try await store.label(manifestID: manifest.id, uuid: uuid) else { throw DomainError.notFound }
        guard label.sourceType == "api" else { throw DomainError.rejected("Cannot delete immutable label") }
        try await store.transaction { tx in
            guard try await tx.deleteLabel(manifestID: manifest.id, uuid: uuid) != nil else { throw DomainError.notFound }
            try await tx.emit(.manifestLabelDelete, by: performer, repository: repository, details: [
                "id": uuid, "key": label.key, "value": label.value, "manifest_digest": manifest.digest,
                "namespace": repository.namespaceName, "repo": repository.name,
            ])
        }
    }

    /// Quay's label key rule: lower-case letters and digits, with single `-` or `.` between them, at most 255.
    static func isValidKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard !bytes.isEmpty, bytes.count <= 255 else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) }
        func separator(_ b: UInt8) -> Bool { b == UInt8(ascii: "-") || b == UInt8(ascii: ".") }
        guard alnum(bytes[0]), alnum(bytes[bytes.count - 1]) else { return false }
        for (index, byte) in bytes.enumerated() where !alnum(byte) {
            guard separator(byte), !separator(bytes[index + 1]) else { return false }
        }
        return true
    }
}
