import AsyncHTTPClient
import Foundation

/// Which URLs the server may call on a user's behalf (log-export callbacks): http(s) only, and no
/// loopback, private, link-local or otherwise internal address — whatever the host name resolves to —
/// unless the host is listed in `OUTBOUND_ALLOWED_HOSTS`.
struct OutboundURLPolicy: Sendable {
    let allowedHosts: Set<String>

    /// The client for calls on a user's behalf. It never follows a redirect: the policy checked only the
    /// URL it was given, not where a redirect would lead (a 3xx answer counts as a failed call).
    static let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                   configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    /// Why `url` may not be called; nil when it may.
    func refusal(for url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else {
            return "not an http(s) URL"
        }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if allowedHosts.contains(bare) { return nil }
        let addresses = Self.resolve(bare)
        if addresses.isEmpty { return "the host \(bare) does not resolve" }
        if let inside = addresses.first(where: Self.isInternal) { return "the host \(bare) is an internal address (\(inside))" }
        return nil
    }

    /// The numeric addresses `host` resolves to.
    static func resolve(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }

    /// Whether a numeric address is loopback, private, link-local, unspecified or unique-local.
    static func isInternal(_ address: String) -> Bool {
        if address.contains(":") {
            let lower = address.lowercased()
            if lower == "::1" || lower == "::" { return true }
            if lower.hasPrefix("::ffff:") { return isInternal(String(lower.dropFirst(7))) }
            return lower.hasPrefix("fc") || lower.hasPrefix("fd") || lower.hasPrefix("fe8") || lower.hasPrefix("fe9")
                || lower.hasPrefix("fea") || lower.hasPrefix("feb")
        }
        let octets = address.split(separator: ".").compactMap { Int($0) }
        guard octets.count == 4 else { return true }
        switch (octets[0], octets[1]) {
        case (0, _), (10, _), (127, _), (169, 254), (192, 168): return true
        case (172, 16...31), (100, 64...127): return true
        default: return false
        }
    }
}
