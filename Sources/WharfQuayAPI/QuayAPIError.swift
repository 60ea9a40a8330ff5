import Foundation
import HTTPTypes
import Hummingbird
import WharfHTTP
import WharfDomain

/// An error of the Quay API, rendered in one of Quay's two shapes: its ApiError problem document
/// (`status`, `error_message`, `title`, `error_type`, `detail`, `type`) or Flask's `{"message": …}`.
/// Domain errors map to these shapes here and nowhere else.
public struct QuayAPIError: Error, Sendable {
    enum Shape: Sendable {
        case apiError(type: String)
        case message
    }

    let status: Int
    let text: String
    let shape: Shape
    /// Extra keys Quay adds to some errors (`session_required`).
    let extra: [String: Bool]

    init(status: Int, text: String, shape: Shape, extra: [String: Bool] = [:]) {
        self.status = status
        self.text = text
        self.shape = shape
        self.extra = extra
    }

    /// 400 `invalid_request`.
    public static func invalidRequest(_ message: String) -> QuayAPIError {
        .init(status: 400, text: message, shape: .apiError(type: "invalid_request"))
    }
    /// 401 `invalid_token`, for anonymous callers.
    public static let requiresAuthentication = QuayAPIError(status: 401, text: "Requires authentication", shape: .apiError(type: "invalid_token"))
    /// 401 `invalid_token`, for a bearer token that is unknown, wrong or expired.
    public static let invalidToken = QuayAPIError(status: 401, text: "Invalid token", shape: .apiError(type: "invalid_token"))
    /// 403 `insufficient_scope`, for authenticated callers without the right.
    public static let unauthorized = QuayAPIError(status: 403, text: "Unauthorized", shape: .apiError(type: "insufficient_scope"))
    /// 404 `not_found`.
    public static let notFound = QuayAPIError(status: 404, text: "Not Found", shape: .apiError(type: "not_found"))
    /// 403 for a session write without its CSRF token.
    public static let csrfMissing = QuayAPIError.message(403, "CSRF token was invalid or missing.")
    /// `{"message": …}` with any status.
    public static func message(_ status: Int, _ message: String) -> QuayAPIError {
        .init(status: status, text: message, shape: .message)
    }

    /// The refusal Quay gives a caller without the right: 401 when anonymous, 403 otherwise.
    public static func refusal(for identity: Identity) -> QuayAPIError {
        identity.isAnonymous ? requiresAuthentication : unauthorized
    }

    /// The API form of an account-creation error.
    init(_ error: AccountError) {
        switch error {
        case .invalid(let message): self = .invalidRequest(message)
        case .alreadyExists(let message): self = .message(400, message)
        case .notFirstUser: self = .message(400, "Cannot initialize user in a non-empty database")
        }
    }

    /// The API form of a domain error.
    init(_ error: DomainError) {
        switch error {
        case .invalidRequest(let message): self = .invalidRequest(message)
        case .rejected(let message): self = .message(400, message)
        case .notFound: self = .notFound
        case .unavailable(let message): self = .message(503, message)
        case .forbidden: self = .unauthorized
        case .invalidFields(let fields):
            self = .invalidRequest(fields.keys.sorted().map { "\($0) \(fields[$0]!.joined(separator: ", "))" }.joined(separator: "; "))
        }
    }

    /// The response body and status.
    func response(host: String, scheme: String) -> Response {
        var body: [String: Any]
        switch shape {
        case .apiError(let type):
            body = ["status": status, "error_message": text, "detail": text, "title": type, "error_type": type,
                    "type": "\(scheme)://\(host)/api/v1/error/\(type)"]
        case .message:
            body = ["message": text]
        }
        for (key, value) in extra { body[key] = value }
        return QuayJSON.response(HTTPResponse.Status(code: status), body)
    }
}
