/// Why a domain operation was refused. Each API renders these in its own error format in one place
/// (the Quay API's `QuayAPIError`, the Portus API's `PortusAPIError`).
public enum DomainError: Error, Sendable, Equatable {
    /// The request is malformed or breaks a rule the caller can fix (Quay: ApiError `invalid_request`, 400).
    case invalidRequest(String)
    /// The data model refused the change (Quay: a `DataModelException`, 400 `{"message"}`).
    case rejected(String)
    /// The thing asked for does not exist (Quay: ApiError `not_found`, 404).
    case notFound
    /// The target cannot change in its current state, e.g. a read-only repository (Quay: 503 `{"message"}`).
    case unavailable(String)
    /// The caller may not do this (Quay: 403 `insufficient_scope`; Portus: 403 "Authorization fails").
    case forbidden
    /// Fields that fail validation, each with its messages (Portus: 422 `{"message": {field: [...]}}`;
    /// Quay: 400 `invalid_request`).
    case invalidFields([String: [String]])
}
