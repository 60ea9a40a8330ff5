/// Media types of the manifests and descriptors Wharf handles.
public enum MediaType {
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
    public static let dockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociEmpty = "application/vnd.oci.empty.v1+json"

    /// Manifest types accepted on push.
    public static let supportedManifests: Set<String> = [dockerManifest, dockerManifestList, ociManifest, ociIndex]

    /// Types whose entries are child manifests rather than blobs.
    public static let indexes: Set<String> = [dockerManifestList, ociIndex]
}
