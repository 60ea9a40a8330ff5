import Foundation

/// Quay's opaque `next_page` tokens: an encoded position; a token that cannot be read means the first page.
enum PageToken {
    static func encode(offset: Int) -> String {
        let json = "{\"offset_val\":\(offset),\"page_number\":0,\"is_datetime\":false}"
        return Data(json.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The offset a token encodes; 0 for a missing or unreadable token.
    static func offset(_ token: String?) -> Int {
        guard var text = token?.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") else { return 0 }
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let offset = object["offset_val"] as? Int, offset >= 0 else { return 0 }
        return offset
    }
}
