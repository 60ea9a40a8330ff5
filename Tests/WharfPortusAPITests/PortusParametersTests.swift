import Foundation
import WharfHTTP
import XCTest
@testable import WharfPortusAPI

/// Grape's parameter handling as the Portus API reproduces it: nested form keys, coercions and the
/// 400 answer listing every missing or invalid parameter.
final class PortusParametersTests: XCTestCase {
    private func form(_ text: String) throws -> PortusParameters {
        var values: [String: Any] = [:]
        try PortusParameters.merge(form: text, into: &values)
        return PortusParameters(values: values)
    }

    func testNestedFormKeysAndLists() throws {
        let params = try form("user%5Busername%5D=alice&user[email]=a%40example.com&only[]=name&only[]=hostname&plain=a+b")
        XCTAssertEqual(params.string("user", "username"), "alice")
        XCTAssertEqual(params.string("user", "email"), "a@example.com")
        XCTAssertEqual(params.strings("only"), ["name", "hostname"])
        XCTAssertEqual(params.string("plain"), "a b")
        XCTAssertNil(params.string("user", "password"))
    }

    func testCoercionsOfJSONValues() throws {
        let object = try JSONSerialization.jsonObject(with: Data(#"{"a": "7", "b": 7, "c": true, "d": "false", "e": 1.5, "f": "x"}"#.utf8))
        let params = PortusParameters(values: object as! [String: Any])
        XCTAssertEqual(params.integer("a"), 7)
        XCTAssertEqual(params.integer("b"), 7)
        XCTAssertEqual(params.string("b"), "7")
        XCTAssertNil(params.integer("c"), "a boolean is not an integer")
        XCTAssertEqual(params.boolean("c"), true)
        XCTAssertEqual(params.string("c"), "true")
        XCTAssertEqual(params.boolean("d"), false)
        XCTAssertNil(params.integer("e"))
        XCTAssertNil(params.boolean("f"))
    }

    func testValidationReportsEveryProblemAsGrapeDoes() throws {
        let params = try form("registry[name]=r&registry[use_ssl]=maybe&count=x")
        XCTAssertThrowsError(try params.validate([
            .requires("registry", .hash([.requires("name"), .requires("hostname"), .requires("use_ssl", .boolean)])),
            .optional("count", .integer), .requires("team"),
        ])) { error in
            guard let error = error as? PortusAPIError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.status, .badRequest)
            let body = String(decoding: JSONWriter.data(error.message), as: UTF8.self)
            XCTAssertEqual(body, #"{"[\"registry[hostname]\"]":["is missing"],"[\"registry[use_ssl]\"]":["is invalid"],"[\"count\"]":["is invalid"],"[\"team\"]":["is missing"]}"#)
        }
        XCTAssertNoThrow(try form("team=a").validate([.requires("team"), .optional("description")]))
    }

    func testPaginationHeadersAndLinks() throws {
        let pagination = try PortusPagination(try form("page=2&per_page=10&sort_attr=name&sort_order=desc"), sortable: ["name": "username"])
        XCTAssertEqual(pagination.request.offset, 10)
        XCTAssertEqual(pagination.request.limit, 10)
        XCTAssertEqual(pagination.request.column, "username")
        XCTAssertFalse(pagination.request.ascending)
        let headers = pagination.headers(total: 25, url: "http://h/api/v1/users",
                                         query: [("page", "2"), ("per_page", "10"), ("sort_attr", "name"), ("sort_order", "desc")])
        XCTAssertEqual(headers[.init("X-Page")!], "2")
        XCTAssertEqual(headers[.init("X-Next-Page")!], "3")
        XCTAssertEqual(headers[.init("X-Prev-Page")!], "1")
        XCTAssertEqual(headers[.init("X-Total")!], "25")
        XCTAssertEqual(headers[.init("X-Total-Pages")!], "3")
        XCTAssertEqual(headers[.init("Link")!], [
            #"<http://h/api/v1/users?page=1&per_page=10&sort_attr=name&sort_order=desc>; rel="prev""#,
            #"<http://h/api/v1/users?page=3&per_page=10&sort_attr=name&sort_order=desc>; rel="next""#,
            #"<http://h/api/v1/users?page=1&per_page=10&sort_attr=name&sort_order=desc>; rel="first""#,
            #"<http://h/api/v1/users?page=3&per_page=10&sort_attr=name&sort_order=desc>; rel="last""#,
        ].joined(separator: ", "))
    }

    func testLastPageAndDefaults() throws {
        let pagination = try PortusPagination(try form("page=3&per_page=10&sort_attr=password_hash"), sortable: ["name": "username"])
        XCTAssertEqual(pagination.request.column, "id", "only listed attributes sort")
        XCTAssertTrue(pagination.request.ascending)
        let headers = pagination.headers(total: 25, url: "http://h/x", query: [])
        XCTAssertEqual(headers[.init("X-Next-Page")!], "")
        XCTAssertEqual(headers[.init("X-Prev-Page")!], "2")
        let all = try PortusPagination(try form("all=true"), sortable: [:])
        XCTAssertNil(all.request.limit)
        XCTAssertTrue(all.headers(total: 25, url: "http://h/x", query: []).isEmpty)
        XCTAssertThrowsError(try PortusPagination(try form("page=two"), sortable: [:]))
    }

    func testNestingIsBoundedAndNamelessPairsAreKept() throws {
        XCTAssertEqual(try form("a" + String(repeating: "[b]", count: 99) + "=1").values.count, 1)
        XCTAssertThrowsError(try form("a" + String(repeating: "[b]", count: 100) + "=1")) { error in
            XCTAssertEqual((error as? PortusAPIError)?.status, .badRequest)
        }
        XCTAssertThrowsError(try form("a" + String(repeating: "[b]", count: 50_000) + "=1"))
        XCTAssertEqual(try form("=&==&a=1").string("a"), "1")
        XCTAssertEqual(try form("=").values[""] as? String, "")
    }

    func testManyListItemsAndHashKeysAreAllKept() throws {
        let params = try form((0..<10_000).map { "a[]=x\($0)&h[k\($0)]=y" }.joined(separator: "&"))
        XCTAssertEqual(params.strings("a")?.count, 10_000)
        XCTAssertEqual(params.strings("a")?.last, "x9999")
        XCTAssertEqual((params.values["h"] as? [String: Any])?.count, 10_000)
    }

    func testNULCharactersAreFound() {
        XCTAssertTrue(PortusParameters.containsNUL(["user": ["name": "a\u{0}b"]]))
        XCTAssertTrue(PortusParameters.containsNUL(["list": ["x", "\u{0}"]]))
        XCTAssertTrue(PortusParameters.containsNUL(["k\u{0}": "v"]))
        XCTAssertFalse(PortusParameters.containsNUL(["user": ["name": "ab"], "n": 1]))
    }
}
