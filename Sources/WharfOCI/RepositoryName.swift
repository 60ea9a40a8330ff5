/// A repository name of one or more path components (`namespace/repo`, `org/team/app`), checked
/// against the OCI distribution grammar: components `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` joined by `/`.
public struct RepositoryName: Hashable, Sendable, CustomStringConvertible {
    /// The first path component: the user or organization that owns the repository.
    public let namespace: String
    /// Everything after the namespace (may contain `/`).
    public let repository: String

    public static let maximumLength = 255

    public init?(_ full: some StringProtocol) {
        guard full.utf8.count <= Self.maximumLength else { return nil }
        let components = full.split(separator: "/", omittingEmptySubsequences: false)
        guard components.count >= 2, components.allSatisfy(Self.isValidComponent) else { return nil }
        namespace = String(components[0])
        repository = components.dropFirst().joined(separator: "/")
    }

    public init?(namespace: String, repository: String) {
        self.init("\(namespace)/\(repository)")
    }

    public var description: String { "\(namespace)/\(repository)" }

    /// Whether one path component follows the grammar.
    public static func isValidComponent(_ component: some StringProtocol) -> Bool {
        let bytes = Array(component.utf8)
        guard let first = bytes.first, let last = bytes.last, isAlnum(first), isAlnum(last) else { return false }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if isAlnum(byte) { index += 1; continue }
            // A separator: ".", "_", "__" or one or more "-", always followed by an alphanumeric.
            var end = index
            switch byte {
            case UInt8(ascii: "."): end = index + 1
            case UInt8(ascii: "_"): end = index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "_") ? index + 2 : index + 1
            case UInt8(ascii: "-"):
                end = index
                while end < bytes.count && bytes[end] == UInt8(ascii: "-") { end += 1 }
            default: return false
            }
            guard end < bytes.count, isAlnum(bytes[end]) else { return false }
            index = end
        }
        return true
    }

    private static func isAlnum(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)
    }
}

/// A manifest reference: a tag or a digest.
public enum Reference: Hashable, Sendable, CustomStringConvertible {
    case tag(String)
    case digest(Digest)

    /// Parses a tag (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`) or a digest.
    public init?(_ string: some StringProtocol) {
        if string.contains(":") {
            guard let digest = Digest(string) else { return nil }
            self = .digest(digest)
        } else if Self.isValidTag(string) {
            self = .tag(String(string))
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .tag(let tag): return tag
        case .digest(let digest): return digest.description
        }
    }

    public static func isValidTag(_ tag: some StringProtocol) -> Bool {
        let bytes = Array(tag.utf8)
        guard let first = bytes.first, bytes.count <= 128 else { return false }
        func word(_ b: UInt8) -> Bool {
            (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "_")
        }
        guard word(first) else { return false }
        return bytes.dropFirst().allSatisfy { word($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }
}
