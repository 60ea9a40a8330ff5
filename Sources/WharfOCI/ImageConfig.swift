import Foundation

/// What Wharf reads from an image's config blob: its labels and the history of its layers.
public struct ImageConfig: Sendable, Equatable {
    /// One step of the image's history (`created_by` is the command that made it).
    public struct HistoryEntry: Sendable, Equatable, Decodable {
        public let created: String?
        public let createdBy: String?
        public let author: String?
        public let comment: String?
        public let emptyLayer: Bool?

        enum CodingKeys: String, CodingKey {
            case created
            case createdBy = "created_by"
            case author
            case comment
            case emptyLayer = "empty_layer"
        }
    }

    public let labels: [String: String]
    public let history: [HistoryEntry]

    /// Config media types whose blob is an image config (Docker's and OCI's).
    public static let mediaTypes: Set<String> = [
        "application/vnd.docker.container.image.v1+json", "application/vnd.oci.image.config.v1+json",
    ]

    /// The largest config blob Wharf reads (configs are a few KiB; long histories stay far below this).
    public static let maximumSize: Int64 = 4 << 20

    private struct Body: Decodable {
        struct Config: Decodable { let Labels: [String: String]? }
        let config: Config?
        let history: [HistoryEntry]?
    }

    /// Parses a config blob; nil when it is not JSON of that shape.
    public static func parse(_ bytes: Data) -> ImageConfig? {
        guard let body = try? JSONDecoder().decode(Body.self, from: bytes) else { return nil }
        return ImageConfig(labels: body.config?.Labels ?? [:], history: body.history ?? [])
    }

    /// The history entry that made each of `layerCount` layers (entries marked `empty_layer` made none),
    /// nil where the history does not say.
    public func layerHistory(layerCount: Int) -> [HistoryEntry?] {
        let making = history.filter { $0.emptyLayer != true }
        return (0..<layerCount).map { $0 < making.count ? making[$0] : nil }
    }
}

/// Quay's duration strings (`30s`, `15m`, `12h`, `2d`, `1w`), used by the `quay.expires-after` label.
public enum LabelDuration {
    /// The longest duration a label may name: Python's `timedelta` limit (999,999,999 days), beyond which
    /// Quay cannot read the label either. In milliseconds and added to any time of this era, it still fits
    /// in 64 bits many times over.
    public static let longest: Int64 = 999_999_999 * 86_400

    /// The number of seconds `text` names, or nil when it is not such a string or names more than `longest`.
    public static func seconds(_ text: String) -> Int64? {
        guard let unit = text.last, let count = Int64(text.dropLast()), count >= 0 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3_600
        case "d": scale = 86_400
        case "w": scale = 604_800
        default: return nil
        }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: scale)
        return overflow || seconds > longest ? nil : seconds
    }
}
