import Foundation
import HTTPTypes
import Hummingbird
import Logging
import WharfHTTP
import WharfIdentity

/// Serves `/api/v1` from a route table; failures render in Quay's error shapes.
public struct QuayAPIHandler: Sendable {
    let routes: [QuayRoute]
    let serverHostname: String
    let urlScheme: String
    let logger: Logger

    public init(routes: [QuayRoute], serverHostname: String, urlScheme: String, logger: Logger) {
        self.routes = routes
        self.serverHostname = serverHostname
        self.urlScheme = urlScheme
        self.logger = logger
    }

    /// Whether `path` belongs to the Quay API.
    public static func handles(_ path: String) -> Bool { path.hasPrefix("/api/v1/") }

    public func respond(to request: Request) async -> Response {
        let components = request.uri.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0 }
        var pathMatched = false
        for route in routes {
            guard let parameters = route.match(components) else { continue }
            pathMatched = true
            guard route.method == request.method else { continue }
            do {
                return try await route.handler(QuayRequest(request: request, parameters: parameters))
            } catch let error as QuayAPIError {
                return error.response(host: serverHostname, scheme: urlScheme)
            } catch let error as AccountError {
                return QuayAPIError(error).response(host: serverHostname, scheme: urlScheme)
            } catch {
                logger.error("API request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
                return QuayAPIError.message(500, "Internal Server Error").response(host: serverHostname, scheme: urlScheme)
            }
        }
        let error = pathMatched
            ? QuayAPIError.message(405, "The method is not allowed for the requested URL.")
            : QuayAPIError.message(501, "\(request.method) \(request.uri.path) is not supported by Wharf yet")
        return error.response(host: serverHostname, scheme: urlScheme)
    }
}
