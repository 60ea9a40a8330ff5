import Foundation
import HTTPTypes
import Hummingbird
import WharfHTTP

/// Portus's JSON answers: the body, the CORS headers Portus puts on every answer, and its timestamps.
enum PortusJSON {
    /// The CORS headers of every Portus answer.
    static let corsHeaders: HTTPFields = [
        HTTPField.Name("Access-Control-Allow-Origin")!: "*",
        HTTPField.Name("Access-Control-Request-Method")!: "*",
        HTTPField.Name("Access-Control-Allow-Headers")!: "Content-Type, api_key, Authorization, portus-auth",
    ]

    /// `body` as JSON with `status` and the CORS headers (plus `headers`).
    static func response(_ status: HTTPResponse.Status, _ body: Any, headers: HTTPFields = [:]) -> Response {
        var fields = corsHeaders
        fields.append(contentsOf: headers)
        return Responses.json(status, JSONWriter.data(body), headers: fields)
    }

    /// An answer without a body (204 for deletions), with the CORS headers.
    static func empty(_ status: HTTPResponse.Status = .noContent) -> Response {
        Responses.empty(status, headers: corsHeaders)
    }

    /// ISO 8601 in UTC with milliseconds (`2017-11-22T14:30:52.000Z`), as Rails renders times; null for nil.
    static func time(ms: Int64?) -> Any {
        guard let ms else { return NSNull() }
        var seconds = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(ms % 1000))
    }
}
