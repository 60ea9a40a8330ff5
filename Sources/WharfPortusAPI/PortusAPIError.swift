import Foundation
import HTTPTypes
import Hummingbird
import WharfHTTP
import WharfDomain

/// An error of the Portus API, always rendered as `{"message": …}` with Portus's status codes; the
/// message is a string, or an object for parameter (400) and validation (422) errors. Domain errors
/// map to these here and nowhere else.
public struct PortusAPIError: Error, @unchecked Sendable {
    let status: HTTPResponse.Status
    /// A `String` or an object (`OrderedJSONObject` / dictionary).
    let message: Any

    init(_ status: HTTPResponse.Status, _ message: Any) {
        self.status = status
        self.message = message
    }

    /// 401: no `Portus-Auth` header, or wrong credentials in it.
    static let authenticationFails = PortusAPIError(.unauthorized, "Authentication fails")
    /// 403: the caller may not do this.
    static let authorizationFails = PortusAPIError(.forbidden, "Authorization fails")
    /// 404 for an unknown route or id.
    static let notFound = PortusAPIError(.notFound, "Not found")
    /// 405 for an endpoint this instance has turned off.
    static let disabledEndpoint = PortusAPIError(.methodNotAllowed, "this instance has disabled this endpoint")

    /// 400 for parameters that are missing or of the wrong type: Grape's `{"[\"name\"]": ["is missing"]}`.
    static func badParameters(_ problems: [(name: String, message: String)]) -> PortusAPIError {
        var object = OrderedJSONObject()
        for problem in problems {
            let key = "[\"\(problem.name)\"]"
            let messages = (object[key] as? [String] ?? []) + [problem.message]
            object.set(key, messages)
        }
        return PortusAPIError(.badRequest, object)
    }

    /// 422 with one field's messages.
    static func invalid(_ field: String, _ messages: String...) -> PortusAPIError {
        PortusAPIError(.unprocessableContent, [field: messages])
    }

    /// The API form of a domain error.
    init(_ error: DomainError) {
        switch error {
        case .invalidFields(let fields): self.init(.unprocessableContent, fields)
        case .rejected(let message), .invalidRequest(let message), .unavailable(let message): self.init(.unprocessableContent, message)
        case .notFound: self = .notFound
        case .forbidden: self = .authorizationFails
        }
    }

    /// The API form of an account-creation error.
    init(_ error: AccountError) {
        switch error {
        case .notFirstUser: self.init(.badRequest, "you can only use this when there are no users on the system")
        case .invalid(let message), .alreadyExists(let message): self.init(.unprocessableContent, message)
        }
    }

    /// The response, with the CORS headers every Portus answer carries.
    func response() -> Response {
        PortusJSON.response(status, ["message": message])
    }
}
