import Foundation
import HTTPTypes
import Hummingbird

/// Credentials presented in an `Authorization` header.
public enum Credentials: Sendable, Equatable {
    case basic(username: String, password: String)
    case bearer(String)

    /// Parses the request's `Authorization` header; nil when absent or unreadable.
    public init?(request: Request) {
        guard let header = request.headers[.authorization] else { return nil }
        self.init(authorization: header)
    }

    public init?(authorization header: String) {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let scheme = parts[0].lowercased()
        let value = parts[1].trimmingCharacters(in: .whitespaces)
        switch scheme {
        case "basic":
            guard let data = Data(base64Encoded: value), let decoded = String(data: data, encoding: .utf8),
                  let colon = decoded.firstIndex(of: ":") else { return nil }
            self = .basic(username: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...]))
        case "bearer":
            self = .bearer(value)
        default:
            return nil
        }
    }
}
