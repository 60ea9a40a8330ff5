import Foundation
import WharfOCI
import XCTest

final class DigestTests: XCTestCase {
    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let abcSHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    static let emptySHA512 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
    static let abcSHA512 = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

    // MARK: Parsing

    func testParsesValidSHA256() throws {
        let digest = try XCTUnwrap(Digest("sha256:" + Self.emptySHA256))
        XCTAssertEqual(digest.algorithm, .sha256)
        XCTAssertEqual(digest.hex, Self.emptySHA256)
        XCTAssertEqual(digest.description, "sha256:" + Self.emptySHA256)
    }

    func testParsesValidSHA512() throws {
        let digest = try XCTUnwrap(Digest("sha512:" + Self.abcSHA512))
        XCTAssertEqual(digest.algorithm, .sha512)
        XCTAssertEqual(digest.hex, Self.abcSHA512)
        XCTAssertEqual(digest.description, "sha512:" + Self.abcSHA512)
    }

    func testParsesSubstring() throws {
        let text = "x/sha256:\(Self.abcSHA256)"
        let substring = text.dropFirst(2)
        let digest = try XCTUnwrap(Digest(substring))
        XCTAssertEqual(digest.hex, Self.abcSHA256)
    }

    func testRejectsUpperCaseHex() {
        XCTAssertNil(Digest("sha256:" + Self.emptySHA256.uppercased()))
        // A single upper-case character is enough to be refused.
        var mixed = Self.emptySHA256
        mixed.replaceSubrange(mixed.startIndex...mixed.startIndex, with: "E")
        XCTAssertNil(Digest("sha256:" + mixed))
    }

    func testRejectsUpperCaseAlgorithm() {
        XCTAssertNil(Digest("SHA256:" + Self.emptySHA256))
    }

    func testRejectsWrongLength() {
        XCTAssertNil(Digest("sha256:" + Self.emptySHA256.dropLast()))
        XCTAssertNil(Digest("sha256:" + Self.emptySHA256 + "0"))
        XCTAssertNil(Digest("sha256:"))
        // A sha512-length hex under sha256 and vice versa.
        XCTAssertNil(Digest("sha256:" + Self.abcSHA512))
        XCTAssertNil(Digest("sha512:" + Self.abcSHA256))
    }

    func testRejectsNonHexCharacters() {
        XCTAssertNil(Digest("sha256:" + String(repeating: "g", count: 64)))
        XCTAssertNil(Digest("sha256:" + String(repeating: "a", count: 63) + ":"))
        XCTAssertNil(Digest("sha256:" + String(repeating: "a", count: 63) + " "))
    }

    func testRejectsUnknownAlgorithm() {
        XCTAssertNil(Digest("md5:d41d8cd98f00b204e9800998ecf8427e"))
        XCTAssertNil(Digest("sha384:" + String(repeating: "a", count: 96)))
        XCTAssertNil(Digest("sha1:" + String(repeating: "a", count: 40)))
        XCTAssertNil(Digest(":" + Self.emptySHA256))
    }

    func testRejectsMissingColon() {
        XCTAssertNil(Digest("sha256" + Self.emptySHA256))
        XCTAssertNil(Digest(Self.emptySHA256))
        XCTAssertNil(Digest(""))
    }

    func testAlgorithmHexLength() {
        XCTAssertEqual(Digest.Algorithm.sha256.hexLength, 64)
        XCTAssertEqual(Digest.Algorithm.sha512.hexLength, 128)
    }

    func testEqualityHashingAndOrdering() throws {
        let a = try XCTUnwrap(Digest("sha256:" + Self.abcSHA256))
        let b = try XCTUnwrap(Digest("sha256:" + Self.abcSHA256))
        let e = try XCTUnwrap(Digest("sha256:" + Self.emptySHA256))
        XCTAssertEqual(a, b)
        XCTAssertEqual(Set([a, b, e]).count, 2)
        XCTAssertLessThan(a, e, "ordered by their string form (\"ba…\" < \"e3…\")")
        XCTAssertEqual([e, a].sorted(), [a, e])
        XCTAssertEqual(Digest(algorithm: .sha256, hex: Self.abcSHA256), a)
    }

    // MARK: Hashing

    func testSHA256KnownVectors() {
        XCTAssertEqual(Digest.of(Data()).description, "sha256:" + Self.emptySHA256)
        XCTAssertEqual(Digest.of([UInt8]()), Digest(algorithm: .sha256, hex: Self.emptySHA256))
        XCTAssertEqual(Digest.of(Array("abc".utf8)).hex, Self.abcSHA256)
        XCTAssertEqual(Digest.of(Data("abc".utf8), algorithm: .sha256).algorithm, .sha256)
    }

    func testSHA512KnownVectors() {
        let abc = Digest.of(Data("abc".utf8), algorithm: .sha512)
        XCTAssertEqual(abc.algorithm, .sha512)
        XCTAssertEqual(abc.hex, Self.abcSHA512)
        XCTAssertEqual(abc.description, "sha512:" + Self.abcSHA512)
        XCTAssertEqual(Digest.of(Data(), algorithm: .sha512).hex, Self.emptySHA512)
    }

    func testComputedDigestRoundTripsThroughParser() throws {
        for algorithm in Digest.Algorithm.allCases {
            let digest = Digest.of(Data("round trip".utf8), algorithm: algorithm)
            XCTAssertEqual(digest.hex.count, algorithm.hexLength)
            XCTAssertEqual(Digest(digest.description), digest)
        }
    }

    func testIncrementalHasherMatchesOneShot() {
        var bytes = [UInt8]()
        for i in 0..<100_003 { bytes.append(UInt8(truncatingIfNeeded: i &* 31 &+ 7)) }
        for algorithm in Digest.Algorithm.allCases {
            let oneShot = Digest.of(bytes, algorithm: algorithm)
            var hasher = DigestHasher(algorithm: algorithm)
            XCTAssertEqual(hasher.algorithm, algorithm)
            var index = 0
            var chunk = 1
            while index < bytes.count {
                let end = min(index + chunk, bytes.count)
                hasher.update(bytes[index..<end])
                index = end
                chunk = chunk * 3 + 1
            }
            XCTAssertEqual(hasher.finalize(), oneShot, "\(algorithm)")

            // The same through the raw-buffer entry point, in two halves.
            var raw = DigestHasher(algorithm: algorithm)
            bytes.withUnsafeBytes { pointer in
                raw.update(bufferPointer: UnsafeRawBufferPointer(rebasing: pointer[0..<50_000]))
                raw.update(bufferPointer: UnsafeRawBufferPointer(rebasing: pointer[50_000...]))
            }
            XCTAssertEqual(raw.finalize(), oneShot, "\(algorithm) (buffer pointer)")
        }
    }

    func testIncrementalHasherOfABCKnownVectors() {
        var sha256 = DigestHasher()
        XCTAssertEqual(sha256.algorithm, .sha256, "sha256 is the default")
        sha256.update(Array("a".utf8))
        sha256.update(Data("bc".utf8))
        XCTAssertEqual(sha256.finalize().hex, Self.abcSHA256)

        var sha512 = DigestHasher(algorithm: .sha512)
        sha512.update(Array("ab".utf8))
        sha512.update(Array("c".utf8))
        XCTAssertEqual(sha512.finalize().hex, Self.abcSHA512)
    }

    func testFinalizeDoesNotConsumeHasher() {
        var hasher = DigestHasher()
        hasher.update(Array("ab".utf8))
        let partial = hasher.finalize()
        hasher.update(Array("c".utf8))
        XCTAssertEqual(partial, Digest.of(Array("ab".utf8)))
        XCTAssertEqual(hasher.finalize().hex, Self.abcSHA256)
    }

    func testHexString() {
        XCTAssertEqual([UInt8]().hexString, "")
        XCTAssertEqual([0x00, 0x0f, 0xa0, 0xff].hexString, "000fa0ff")
    }
}
