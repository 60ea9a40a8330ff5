import Foundation
import WharfMetadata

/// Quay's opaque `next_page` tokens: an encoded position; a token that cannot be read means the first page.
enum PageToken {
    static func encode(offset: Int) -> String {
        encode(["offset_val": offset, "page_number": 0, "is_datetime": false])
    }

    /// The offset a token encodes; 0 for a missing or unreadable token.
    static func offset(_ token: String?) -> Int {
        guard let offset = decode(token)?["offset_val"] as? Int, offset >= 0 else { return 0 }
        return offset
    }

    /// A token for the log entries after `cursor` (newest first).
    static func encode(_ cursor: LogCursor) -> String {
        encode(["datetime_ms": cursor.datetimeMs, "id": cursor.id])
    }

    /// The log position a token encodes; nil for a missing or unreadable token.
    static func logCursor(_ token: String?) -> LogCursor? {
        guard let fields = decode(token), let datetime = (fields["datetime_ms"] as? NSNumber)?.int64Value,
              let id = (fields["id"] as? NSNumber)?.int64Value else { return nil }
        return LogCursor(datetimeMs: datetime, id: id)
    }

    /// `fields` as URL-safe base64 of JSON, without padding.
    private static func encode(_ fields: [String: Any]) -> String {
        let json = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data()
        return json.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private static func decode(_ token: String?) -> [String: Any]? {
        guard var text = token?.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") else { return nil }
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }
}
