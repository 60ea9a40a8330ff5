/// A failure of a service Wharf depends on (the database or the blob storage) that is not the request's
/// fault: every API answers it with its own format, 503 with `Retry-After` while the service is
/// unreachable and 507 while it is full, and the request can be retried unchanged once it is back.
public struct ServiceFault: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable {
        /// The service cannot be reached, or dropped the connection (503).
        case unavailable
        /// The service has no room left: a full disk or a full database (507).
        case full
    }

    /// Which service failed.
    public enum Service: String, Sendable {
        case database
        case storage
    }

    public let kind: Kind
    public let service: Service
    /// The underlying error, for the server's log (never shown to clients).
    public let reason: String

    public init(_ kind: Kind, _ service: Service, reason: String) {
        self.kind = kind
        self.service = service
        self.reason = reason
    }

    /// The HTTP status every API answers with.
    public var status: Int { kind == .unavailable ? 503 : 507 }

    /// Seconds a client should wait before retrying (`Retry-After`), for an unreachable service.
    public var retryAfterSeconds: Int? { kind == .unavailable ? 5 : nil }

    /// What clients are told.
    public var message: String {
        switch (kind, service) {
        case (.unavailable, .database): return "The database is unavailable; retry later"
        case (.unavailable, .storage): return "The blob storage is unavailable; retry later"
        case (.full, .database): return "The database is full; no more data can be stored"
        case (.full, .storage): return "The blob storage is full; no more data can be stored"
        }
    }

    public var description: String { "\(service.rawValue) \(kind == .unavailable ? "unavailable" : "full"): \(reason)" }
}

/// Text the database refuses to store (PostgreSQL refuses the NUL character): the client's input, a 400.
public struct UnstorableText: Error, Sendable {
    public init() {}
}
