import Foundation
import Hummingbird

/// Form bodies, query strings and HTML escaping for the OAuth endpoints.
enum FormBody {
    /// The form-encoded (or JSON) body as a dictionary; a NUL character in it is refused (400).
    static func fields(_ request: Request) async throws -> [String: String] {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        let data = Data(buffer.readableBytesView)
        var fields: [String: String] = [:]
        if request.headers[.contentType]?.hasPrefix("application/json") == true {
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            fields = object.compactMapValues { $0 as? String }
        } else {
            for pair in String(decoding: data, as: UTF8.self).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                if let key = parts.first { fields[key] = parts.count > 1 ? parts[1] : "" }
            }
        }
        guard !fields.contains(where: { $0.key.contains("\0") || $0.value.contains("\0") }) else {
            throw QuayAPIError.invalidRequest("the body contains a NUL character")
        }
        return fields
    }

    /// `key=value&…` with the values percent-encoded (RFC 3986 unreserved characters kept); nil values are left out.
    static func query(_ items: [String: String?]) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return items.sorted { $0.key < $1.key }.compactMap { key, value in
            value.map { "\(key)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" }
        }.joined(separator: "&")
    }

    /// `text` safe inside HTML text and double-quoted attributes.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
