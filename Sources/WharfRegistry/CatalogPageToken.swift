import Foundation

/// The catalog's opaque `next_page` token: where the next page starts, as URL-safe base64 of JSON.
enum CatalogPageToken {
    static func encode(after id: Int64) -> String {
        Data("{\"start_after\":\(id)}".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The repository id a token continues after; nil for a missing or unreadable token (the first page).
    static func startAfter(_ token: String?) -> Int64? {
        guard var text = token?.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") else { return nil }
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text),
              let fields = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let id = (fields["start_after"] as? NSNumber)?.int64Value, id >= 0 else { return nil }
        return id
    }
}
