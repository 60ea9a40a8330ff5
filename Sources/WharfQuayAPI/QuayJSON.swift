import Foundation
import Hummingbird
import WharfHTTP

/// Decoding of Quay API request bodies and encoding of its JSON views.
enum QuayJSON {
    /// Decodes the JSON body (at most 1 MiB); a body that does not fit the schema is a 400
    /// `invalid_request`, as Quay's `validate_json_request` answers.
    static func decode<T: Decodable>(_ request: Request, as type: T.Type = T.self) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw QuayAPIError.invalidRequest(Self.describe(error))
        }
    }

    /// Decodes an optional JSON body: an empty body decodes as `{}`.
    static func decodeOptional<T: Decodable>(_ request: Request, as type: T.Type = T.self) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw QuayAPIError.invalidRequest(Self.describe(error))
        }
    }

    /// A JSON response from a view built of dictionaries, arrays, strings, numbers, booleans and `NSNull`.
    static func response(_ status: HTTPResponse.Status, _ object: Any, headers: HTTPFields = [:]) -> Response {
        let data = JSONWriter.data(object)
        return Responses.json(status, data, headers: headers)
    }

    /// A short description of a decoding failure (the missing or mistyped key).
    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "'\(key.stringValue)' is a required property"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        case DecodingError.dataCorrupted: return "the body is not valid JSON"
        default: return "\(error)"
        }
    }
}

/// JSON `null` for views.
let jsonNull = NSNull()

extension Optional {
    /// The wrapped value, or JSON `null`.
    var orNull: Any { self.map { $0 as Any } ?? NSNull() }
}
