import Foundation
import Hummingbird

/// Decoding of Quay API request bodies.
enum QuayJSON {
    /// Decodes the JSON body (at most 1 MiB); a malformed body is a 400 in Quay's `{"message"}` form.
    static func decode<T: Decodable>(_ request: Request, as type: T.Type = T.self) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw QuayAPIError.message(400, "Invalid JSON body: \(error)")
        }
    }
}
