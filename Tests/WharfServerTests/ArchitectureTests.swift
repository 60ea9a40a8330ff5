import Foundation
import XCTest

/// The layering the architecture document promises, checked on the sources: the three HTTP APIs parse,
/// call the domain and render; none of them opens a store transaction (the only way to write), so
/// every change goes through a domain service, with its rules and its events.
final class ArchitectureTests: XCTestCase {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    func testNoAPIModuleWritesToTheStore() throws {
        let forbidden = [".transaction", "StoreTransaction", "claimEvents", "deleteEvents"]
        var offences: [String] = []
        for module in ["WharfRegistry", "WharfQuayAPI", "WharfPortusAPI", "WharfHTTP"] {
            let directory = Self.sources.appendingPathComponent(module)
            let files = try XCTUnwrap(FileManager.default.enumerator(atPath: directory.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
            XCTAssertFalse(files.isEmpty, "no sources found for \(module)")
            for file in files {
                let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    for word in forbidden where line.contains(word) {
                        offences.append("\(module)/\(file):\(number + 1): \(word)")
                    }
                }
            }
        }
        XCTAssertEqual(offences, [], "API modules change state only through the domain's services")
    }
}
