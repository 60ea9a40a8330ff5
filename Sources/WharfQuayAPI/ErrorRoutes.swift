import Foundation
import Hummingbird
import WharfHTTP

/// `GET /api/v1/error/{error_type}`: what each ApiError `type` URL names.
struct ErrorRoutes {
    let services: QuayServices

    /// Quay's error types and their descriptions.
    static let descriptions: [String: String] = [
        "external_service_timeout": "An external service timed out. Retrying the request may resolve the issue.",
        "invalid_request": "The request was invalid. It may have contained invalid values or was improperly formatted.",
        "invalid_response": "The response was invalid.",
        "invalid_token": "The access token provided was invalid.",
        "expired_token": "The access token provided has expired.",
        "insufficient_scope": "The access token did not have sufficient scope to access the requested resource.",
        "fresh_login_required": "The action requires a fresh login to succeed.",
        "exceeds_license": "The action was refused because the current license does not allow it.",
        "not_found": "The resource was not found.",
        "downstream_issue": "An error occurred in a downstream service.",
        "tag_immutable": "The tag is immutable and cannot be modified or deleted.",
        "token_rotation_failed": "The token could not be rotated.",
    ]

    var routes: [QuayRoute] {
        [QuayRoute(.get, "/api/v1/error/{error_type}", operationID: "getErrorDescription",
                   summary: "Get a detailed description of the error.", handler: describe)]
    }

    @Sendable func describe(_ call: QuayRequest) async throws -> Response {
        let type = call.parameter("error_type")
        guard let description = Self.descriptions[type] else { throw QuayAPIError.notFound }
        let settings = services.settings
        return QuayJSON.response(.ok, ["type": "\(settings.urlScheme)://\(settings.serverHostname)/api/v1/error/\(type)", "title": type,
                                       "description": description])
    }
}
