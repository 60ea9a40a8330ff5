import WharfDomain
import WharfOCI

extension RegistryError {
    /// The specification's answer to a refused change of registry content.
    init(_ error: ContentError) {
        switch error {
        case .uploadUnknown(let upload):
            self = .uploadUnknown(upload)
        case .uploadChanged(let upload):
            self.init(.rangeInvalid, status: 416, "the upload was changed by a concurrent request", headers: [("Docker-Upload-UUID", upload)])
        case .chunkOutOfOrder(let upload, let size):
            self.init(.rangeInvalid, status: 416, "chunk does not start at the end of the upload",
                      headers: [("Range", Self.rangeHeader(size: size)), ("Docker-Upload-UUID", upload)])
        case .chunkLengthMismatch(let message):
            self.init(.blobUploadInvalid, status: 400, message)
        case .uploadCompleting(let upload):
            self.init(.blobUploadInvalid, status: 400, "the upload is being completed; it takes no more data", detail: ["upload": upload])
        case .blobTooLarge(let limit):
            self.init(.sizeInvalid, status: 413, "blob exceeds the maximum size of \(limit) bytes")
        case .digestMismatch(let provided, let computed):
            self = .digestInvalid("provided digest did not match uploaded content (computed \(computed))", digest: provided)
        case .manifestReferenceUnknown(let digest, let isManifest):
            self.init(.manifestBlobUnknown, status: 400, "manifest references unknown \(isManifest ? "manifest" : "blob") \(digest)",
                      detail: ["digest": digest])
        case .manifestUnknown(let reference):
            self = .manifestUnknown(reference)
        case .blobUnknown(let digest):
            self = .blobUnknown(digest)
        }
    }

    /// The registry's answer to a domain rule: refusals are `DENIED`, a repository that takes no changes
    /// (read-only, mirrored) `DENIED` with its reason, the rest `INVALID_REQUEST` or `NAME_UNKNOWN`.
    init(_ error: DomainError) {
        switch error {
        case .forbidden: self = .denied("requested access to the resource is denied")
        case .unavailable(let message): self = .denied(message)
        case .notFound: self.init(.nameUnknown, status: 404, "not found")
        case .invalidRequest(let message), .rejected(let message): self.init(.invalidRequest, status: 400, message)
        case .invalidFields(let fields): self.init(.invalidRequest, status: 400, fields.values.flatMap { $0 }.joined(separator: "; "))
        }
    }

    /// The `Range` header value for an upload of `size` bytes (`0-<last byte>`, `0-0` when empty).
    static func rangeHeader(size: Int64) -> String { "0-\(max(size - 1, 0))" }
}
