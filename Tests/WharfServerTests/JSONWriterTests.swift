import Foundation
import WharfHTTP
import XCTest

/// The JSON writer of the API views: what it writes parses back to the same values.
final class JSONWriterTests: XCTestCase {
    func testViewsRoundTripWithSortedKeysAndEscapes() throws {
        let view: [String: Any] = [
            "b": true, "a": 1, "c": Int64(1 << 40), "d": 0.75, "e": 4.0, "f": NSNull(), "g": "quote \" slash / back \\ tab \t nl \n \u{01} é",
            "h": [1, "two", false, ["nested": [String: Any]()]] as [Any], "i": [Any](), "j": Optional<String>.none as Any,
            "k": NSNumber(value: true), "l": NSNumber(value: 2.5), "m": NSNumber(value: 7),
        ]
        let text = JSONWriter.string(view)
        XCTAssertTrue(text.hasPrefix(#"{"a":1,"b":true,"c":1099511627776,"d":0.75,"e":4.0,"f":null,"#), text)
        XCTAssertTrue(text.contains(#""g":"quote \" slash / back \\ tab \t nl \n \u0001 é""#), text)
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: JSONWriter.data(view)) as? [String: Any])
        XCTAssertEqual(parsed["a"] as? Int, 1)
        XCTAssertEqual(parsed["b"] as? Bool, true)
        XCTAssertEqual(parsed["d"] as? Double, 0.75)
        XCTAssertEqual(parsed["e"] as? Double, 4)
        XCTAssertTrue(parsed["f"] is NSNull)
        XCTAssertEqual(parsed["g"] as? String, view["g"] as? String)
        XCTAssertEqual((parsed["h"] as? [Any])?.count, 4)
        XCTAssertTrue(parsed["j"] is NSNull)
        XCTAssertEqual(parsed["k"] as? Bool, true)
        XCTAssertEqual(parsed["l"] as? Double, 2.5)
        XCTAssertEqual(parsed["m"] as? Int, 7)
        XCTAssertEqual(JSONWriter.string("Updated"), "\"Updated\"")
    }
}
