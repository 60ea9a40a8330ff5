/// An error of the registry protocol, rendered as `{"errors":[{"code","message","detail"}]}`.
public struct RegistryError: Error, Sendable {
    /// The error codes of the OCI distribution specification (and the few Quay adds).
    public enum Code: String, Sendable {
        case blobUnknown = "BLOB_UNKNOWN"
        case blobUploadInvalid = "BLOB_UPLOAD_INVALID"
        case blobUploadUnknown = "BLOB_UPLOAD_UNKNOWN"
        case digestInvalid = "DIGEST_INVALID"
        case manifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
        case manifestInvalid = "MANIFEST_INVALID"
        case manifestUnknown = "MANIFEST_UNKNOWN"
        case nameInvalid = "NAME_INVALID"
        case nameUnknown = "NAME_UNKNOWN"
        case sizeInvalid = "SIZE_INVALID"
        case unauthorized = "UNAUTHORIZED"
        case denied = "DENIED"
        case unsupported = "UNSUPPORTED"
        case tooManyRequests = "TOOMANYREQUESTS"
        case invalidRequest = "INVALID_REQUEST"
        case rangeInvalid = "RANGE_INVALID"
        /// The registry cannot serve the request now (its database or storage is out or full); distribution's code.
        case unavailable = "UNAVAILABLE"
        case unknown = "UNKNOWN"
    }

    public let code: Code
    public let status: Int
    public let message: String
    public let detail: [String: String]
    /// Extra response headers (e.g. `Range` on a 416).
    public let headers: [(String, String)]
    /// Whether the response carries an authentication challenge (always for 401).
    public let challenges: Bool
    /// Whether the challenge says the token presented lacks the scope (`error="insufficient_scope"`).
    public let insufficientScope: Bool

    public init(_ code: Code, status: Int, _ message: String, detail: [String: String] = [:], headers: [(String, String)] = []) {
        self.code = code
        self.status = status
        self.message = message
        self.detail = detail
        self.headers = headers
        challenges = status == 401
        insufficientScope = false
    }

    /// A valid registry token that lacks the action: 401 with a challenge naming the scope to ask for and
    /// `error="insufficient_scope"` (RFC 6750), as distribution and Quay answer, so that clients that reuse
    /// a cached token fetch a wider one; when the same token is `repeated` after such an answer, 403
    /// `DENIED` with the same challenge (clients that fetch a new token only on a 403 then do).
    public static func insufficientScope(name: String, action: String, repeated: Bool = false) -> RegistryError {
        repeated
            ? RegistryError(.denied, status: 403, "requested access to the resource is denied", detail: ["name": name, "action": action],
                            insufficientScope: true)
            : RegistryError(.unauthorized, status: 401, "the token does not grant the requested access", detail: ["name": name, "action": action],
                            insufficientScope: true)
    }

    private init(_ code: Code, status: Int, _ message: String, detail: [String: String], insufficientScope: Bool) {
        self.code = code
        self.status = status
        self.message = message
        self.detail = detail
        headers = []
        challenges = true
        self.insufficientScope = insufficientScope
    }

    public static func blobUnknown(_ digest: String) -> RegistryError {
        .init(.blobUnknown, status: 404, "blob unknown to registry", detail: ["digest": digest])
    }
    public static func manifestUnknown(_ reference: String) -> RegistryError {
        .init(.manifestUnknown, status: 404, "manifest unknown", detail: ["reference": reference])
    }
    public static func nameUnknown(_ name: String) -> RegistryError {
        .init(.nameUnknown, status: 404, "repository name not known to registry", detail: ["name": name])
    }
    public static func nameInvalid(_ name: String) -> RegistryError {
        .init(.nameInvalid, status: 400, "invalid repository name", detail: ["name": name])
    }
    public static func uploadUnknown(_ id: String) -> RegistryError {
        .init(.blobUploadUnknown, status: 404, "blob upload unknown to registry", detail: ["upload": id])
    }
    public static func digestInvalid(_ message: String, digest: String) -> RegistryError {
        .init(.digestInvalid, status: 400, message, detail: ["digest": digest])
    }
    public static func manifestInvalid(_ message: String) -> RegistryError {
        .init(.manifestInvalid, status: 400, message)
    }
    public static func unsupported(_ message: String) -> RegistryError {
        .init(.unsupported, status: 405, message)
    }
    public static func denied(_ message: String) -> RegistryError {
        .init(.denied, status: 403, message)
    }
}
