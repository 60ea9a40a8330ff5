import Foundation
import WharfOCI

extension BlobStore {
    /// The whole content of a small blob, nil when it is missing or larger than `limit` bytes.
    public func readSmall(_ digest: Digest, limit: Int64) async throws -> Data? {
        try await driver.contents(of: Self.blobPath(digest), upTo: limit)
    }

    /// The image config blob `digest` parsed, nil when it is missing, too large or not an image config.
    public func imageConfig(_ digest: Digest) async throws -> ImageConfig? {
        try await readSmall(digest, limit: ImageConfig.maximumSize).flatMap(ImageConfig.parse)
    }
}
