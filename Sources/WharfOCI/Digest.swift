import Foundation
import Crypto

/// A content digest such as `sha256:<64 hex>` or `sha512:<128 hex>`.
public struct Digest: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The hash algorithms Wharf accepts.
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha256
        case sha512

        /// Number of hex characters in an encoded digest of this algorithm.
        public var hexLength: Int { self == .sha256 ? 64 : 128 }
    }

    public let algorithm: Algorithm
    public let hex: String

    /// Parses `algorithm:hex`, accepting only lower-case hex of the algorithm's exact length.
    public init?(_ string: some StringProtocol) {
        guard let colon = string.firstIndex(of: ":"),
              let algorithm = Algorithm(rawValue: String(string[string.startIndex..<colon])) else { return nil }
        let hex = string[string.index(after: colon)...]
        guard hex.utf8.count == algorithm.hexLength,
              hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { return nil }
        self.algorithm = algorithm
        self.hex = String(hex)
    }

    public init(algorithm: Algorithm, hex: String) {
        self.algorithm = algorithm
        self.hex = hex
    }

    public var description: String { "\(algorithm.rawValue):\(hex)" }

    /// The digest of `bytes` with `algorithm`.
    public static func of(_ bytes: some DataProtocol, algorithm: Algorithm = .sha256) -> Digest {
        var hasher = DigestHasher(algorithm: algorithm)
        hasher.update(bytes)
        return hasher.finalize()
    }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }
}


/// An incremental hasher that produces a `Digest`.
public struct DigestHasher: Sendable {
    private enum State: Sendable {
        case sha256(SHA256)
        case sha512(SHA512)
    }

    private var state: State
    public let algorithm: Digest.Algorithm

    public init(algorithm: Digest.Algorithm = .sha256) {
        self.algorithm = algorithm
        switch algorithm {
        case .sha256: state = .sha256(SHA256())
        case .sha512: state = .sha512(SHA512())
        }
    }

    public mutating func update(_ bytes: some DataProtocol) {
        switch state {
        case .sha256(var h): h.update(data: bytes); state = .sha256(h)
        case .sha512(var h): h.update(data: bytes); state = .sha512(h)
        }
    }

    public mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        switch state {
        case .sha256(var h): h.update(bufferPointer: bufferPointer); state = .sha256(h)
        case .sha512(var h): h.update(bufferPointer: bufferPointer); state = .sha512(h)
        }
    }

    public func finalize() -> Digest {
        switch state {
        case .sha256(let h): return Digest(algorithm: .sha256, hex: h.finalize().hexString)
        case .sha512(let h): return Digest(algorithm: .sha512, hex: h.finalize().hexString)
        }
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hex encoding.
    public var hexString: String {
        let table: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(table[Int(byte >> 4)])
            out.append(table[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
