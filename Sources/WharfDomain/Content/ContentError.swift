/// Why a change to registry content (an upload, a manifest, a link) was refused. The registry renders
/// these with the distribution specification's codes in one place (`RegistryError(_:)` in WharfRegistry).
public enum ContentError: Error, Sendable, Equatable {
    /// No such upload session in the repository.
    case uploadUnknown(upload: String)
    /// A concurrent request changed the upload between reading and writing its state.
    case uploadChanged(upload: String)
    /// A chunk that does not start where the upload ends.
    case chunkOutOfOrder(upload: String, size: Int64)
    /// A chunk whose length differs from its `Content-Range`.
    case chunkLengthMismatch(String)
    /// The upload is being completed and takes no more data.
    case uploadCompleting(upload: String)
    /// The blob would exceed the largest size accepted.
    case blobTooLarge(limit: Int64)
    /// The uploaded bytes do not hash to the digest the client named; the upload is discarded.
    case digestMismatch(provided: String, computed: String)
    /// A manifest names a blob (`isManifest` false) or a child manifest that is not in the repository.
    case manifestReferenceUnknown(digest: String, isManifest: Bool)
    /// A manifest that is not stored, or not reachable, in the repository.
    case manifestUnknown(reference: String)
    /// A blob not linked in the repository.
    case blobUnknown(digest: String)
}
