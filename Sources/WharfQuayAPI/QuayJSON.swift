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
        return try decode(Data(buffer.readableBytesView))
    }

    /// Decodes an optional JSON body: an empty body decodes as `{}`.
    static func decodeOptional<T: Decodable>(_ request: Request, as type: T.Type = T.self) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        return try decode(buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView))
    }

    /// Decodes a JSON body; its strings may not hold a NUL character (`\u0000`), which no Quay field
    /// may contain and PostgreSQL cannot store.
    private static func decode<T: Decodable>(_ data: Data) throws -> T {
        guard !containsEscapedNUL(data) else { throw QuayAPIError.invalidRequest("the body contains a NUL character") }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw QuayAPIError.invalidRequest(Self.describe(error))
        }
    }

    /// Whether JSON text holds the escape `\u0000` (a backslash that is not itself escaped, then `u0000`).
    static func containsEscapedNUL(_ data: Data) -> Bool {
        let bytes = [UInt8](data)
        var backslashes = 0
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\\") {
                backslashes += 1
                continue
            }
            if byte == UInt8(ascii: "u"), backslashes % 2 == 1, bytes[(index + 1)...].starts(with: Array("0000".utf8)) { return true }
            backslashes = 0
        }
        return false
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
