/// An OCI content descriptor.
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String
    public var digest: String
    public var size: Int64
    public var artifactType: String?
    public var annotations: [String: String]?
    public var urls: [String]?
    public var platform: Platform?

    /// Whether the blob is one a registry does not hold: a non-distributable layer (OCI's
    /// `…layer.nondistributable…`, Docker's foreign layers) that names where it lives (`urls`).
    public var isNonDistributable: Bool {
        !(urls ?? []).isEmpty && (mediaType.contains(".nondistributable.") || mediaType.contains(".foreign."))
    }

    public init(mediaType: String, digest: String, size: Int64, artifactType: String? = nil, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.artifactType = artifactType
        self.annotations = annotations
    }
}

/// The platform of an index entry.
public struct Platform: Codable, Hashable, Sendable {
    public var architecture: String
    public var os: String
    public var variant: String?
    public var features: [String]?
    public var osVersion: String?
    public var osFeatures: [String]?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant, features
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }
}
