import Foundation

/// What Wharf needs to know of a pushed manifest, read from its exact bytes.
public struct ParsedManifest: Sendable {
    public let mediaType: String
    /// Blobs the manifest references (config and layers), in order.
    public let blobs: [Descriptor]
    /// Child manifests of an index or manifest list.
    public let children: [Descriptor]
    public let subject: Descriptor?
    /// The manifest's `artifactType`, or for an image manifest its config's media type (OCI 1.1 rule).
    public let artifactType: String?
    public let configMediaType: String?
    public let annotations: [String: String]?
    /// Sum of the layer sizes (config excluded).
    public let layersSize: Int64
}

/// Why a manifest was refused.
public enum ManifestError: Error, Equatable, Sendable {
    case unsupportedMediaType(String)
    case invalid(String)
}

/// Parses and validates Docker schema 2 and OCI manifests and indexes.
public enum ManifestParser {
    private struct Body: Decodable {
        var schemaVersion: Int?
        var mediaType: String?
        var artifactType: String?
        var config: Descriptor?
        var layers: [Descriptor]?
        var manifests: [Descriptor]?
        var subject: Descriptor?
        var annotations: [String: String]?
    }

    /// Parses `bytes` sent with `contentType` (the request's `Content-Type`, possibly empty).
    public static func parse(_ bytes: Data, contentType: String?) throws(ManifestError) -> ParsedManifest {
        if let key = JSONDuplicateKeys.first(in: bytes) {
            throw .invalid("manifest has the key \"\(key)\" more than once in one object; its meaning is ambiguous")
        }
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: bytes)
        } catch {
            throw .invalid("manifest is not valid JSON: \(Self.describe(error))")
        }
        let declared = contentType.flatMap { $0.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } }
        let mediaType: String
        switch (declared, body.mediaType) {
        case (let header?, let field?) where !header.isEmpty && header != field:
            throw .invalid("Content-Type \(header) does not match the manifest's mediaType \(field)")
        case (let header?, _) where !header.isEmpty:
            mediaType = header
        case (_, let field?):
            mediaType = field
        default:
            mediaType = body.manifests != nil ? MediaType.ociIndex : MediaType.ociManifest
        }
        if mediaType == MediaType.dockerSchema1 || mediaType == MediaType.dockerSchema1Signed || mediaType == "application/json" {
            throw .unsupportedMediaType("manifest schema version not supported: Docker schema 1 manifests are not accepted")
        }
        guard MediaType.supportedManifests.contains(mediaType) else {
            throw .unsupportedMediaType("manifest schema version not supported: \(mediaType)")
        }
        guard body.schemaVersion == 2 else { throw .invalid("schemaVersion must be 2") }
        if let subject = body.subject { try validate(subject, role: "subject") }

        if MediaType.indexes.contains(mediaType) {
            guard let manifests = body.manifests else { throw .invalid("an index needs a manifests list") }
            guard body.config == nil, body.layers == nil else { throw .invalid("an index has no config or layers") }
            for child in manifests { try validate(child, role: "manifest") }
            return ParsedManifest(mediaType: mediaType, blobs: [], children: manifests, subject: body.subject,
                                  artifactType: body.artifactType, configMediaType: nil,
                                  annotations: body.annotations, layersSize: 0)
        }
        guard let config = body.config else { throw .invalid("an image manifest needs a config descriptor") }
        guard let layers = body.layers else { throw .invalid("an image manifest needs a layers list") }
        guard body.manifests == nil else { throw .invalid("an image manifest has no manifests list") }
        try validate(config, role: "config")
        for layer in layers { try validate(layer, role: "layer") }
        if mediaType == MediaType.dockerManifest, body.artifactType != nil || body.subject != nil {
            throw .invalid("Docker schema 2 manifests carry no artifactType or subject")
        }
        var layersSize: Int64 = 0
        for layer in layers {
            let (sum, overflow) = layersSize.addingReportingOverflow(layer.size)
            guard !overflow else { throw .invalid("layer sizes add up to more than a registry can store") }
            layersSize = sum
        }
        guard !layersSize.addingReportingOverflow(config.size).overflow else {
            throw .invalid("config and layer sizes add up to more than a registry can store")
        }
        return ParsedManifest(mediaType: mediaType, blobs: [config] + layers, children: [], subject: body.subject,
                              artifactType: body.artifactType ?? (mediaType == MediaType.ociManifest ? config.mediaType : nil),
                              configMediaType: config.mediaType, annotations: body.annotations,
                              layersSize: layersSize)
    }

    private static func validate(_ descriptor: Descriptor, role: String) throws(ManifestError) {
        guard Digest(descriptor.digest) != nil else { throw .invalid("\(role) has an invalid digest \(descriptor.digest)") }
        guard descriptor.size >= 0 else { throw .invalid("\(role) \(descriptor.digest) has a negative size") }
        guard isMediaTypeShaped(descriptor.mediaType) else {
            throw .invalid("\(role) \(descriptor.digest) has an invalid mediaType \(descriptor.mediaType)")
        }
    }

    /// RFC 6838 shape: `type/subtype`, with restricted characters.
    static func isMediaTypeShaped(_ value: String) -> Bool {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&-^_.+")
        return parts.allSatisfy { !$0.isEmpty && $0.count <= 127 && $0.allSatisfy(allowed.contains) }
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.typeMismatch(_, let context) = error { return context.debugDescription + " at " + path(context) }
        if case DecodingError.keyNotFound(let key, let context) = error { return "missing \(key.stringValue) at " + path(context) }
        if case DecodingError.valueNotFound(_, let context) = error { return context.debugDescription + " at " + path(context) }
        if case DecodingError.dataCorrupted(let context) = error { return context.debugDescription }
        return "\(error)"
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }
}
