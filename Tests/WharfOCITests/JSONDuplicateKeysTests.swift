import Foundation
import WharfOCI
import XCTest

/// Duplicate keys make a JSON document mean different things to different decoders; they are found at any
/// depth, after escapes are decoded, without recursion.
final class JSONDuplicateKeysTests: XCTestCase {
    func first(_ json: String) -> String? { JSONDuplicateKeys.first(in: Array(json.utf8)) }

    func testFindsDuplicatesAtAnyDepthAfterDecodingEscapes() {
        XCTAssertNil(first(#"{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}"#))
        XCTAssertEqual(first(#"{"layers":[],"layers":[1]}"#), "layers")
        XCTAssertEqual(first(#"{"x":{"y":[{"k":"v","k":"w"}]}}"#), "k")
        XCTAssertEqual(first(#"{"layers":[],"lay\u0065rs":[]}"#), "layers")
        XCTAssertEqual(first(#"{"a\"b":1,"a\"b":2}"#), "a\"b")
        XCTAssertNil(first(#"{"a":"{\"a\":1,\"a\":2}"}"#), "keys inside a string value are text")
        XCTAssertNil(first(#"["a","a",{"a":"a"}]"#), "array items are not keys")
        XCTAssertNil(first(#"{"a":"x","b":"a"}"#), "a value equal to a key is not a key")
    }

    func testDeepNestingCostsNoStack() {
        let depth = 200_000
        let deep = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
        XCTAssertNil(first(deep))
        XCTAssertNil(first(String(repeating: "[", count: depth)), "malformed JSON is left to the parser")
    }

    func testManifestsWithDuplicateKeysAreInvalid() {
        let manifest = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2,
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(ManifestParserTests.configDigest)","size":2},"layers":[]}
            """
        XCTAssertThrowsError(try ManifestParser.parse(Data(manifest.utf8), contentType: nil)) { error in
            XCTAssertEqual(error as? ManifestError, .invalid("manifest has the key \"schemaVersion\" more than once in one object; its meaning is ambiguous"))
        }
    }

    func testConfigAndLayerSizesMustAddUp() {
        let manifest = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(ManifestParserTests.configDigest)","size":9223372036854775807},
             "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(ManifestParserTests.subjectDigest)","size":1}]}
            """
        XCTAssertThrowsError(try ManifestParser.parse(Data(manifest.utf8), contentType: nil))
    }

    func testLabelDurationsBeyondPythonsTimedeltaAreNotDurations() {
        XCTAssertEqual(LabelDuration.seconds("2w"), 1_209_600)
        XCTAssertEqual(LabelDuration.seconds("999999999d"), LabelDuration.longest)
        XCTAssertNil(LabelDuration.seconds("1000000000d"))
        XCTAssertNil(LabelDuration.seconds("9223372036854775807s"))
        XCTAssertNil(LabelDuration.seconds("99999999999999999999s"))
        XCTAssertNil(LabelDuration.seconds("-1s"))
    }
}
