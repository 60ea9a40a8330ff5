import WharfOCI
import XCTest

final class RepositoryNameTests: XCTestCase {
    func testValidNames() throws {
        let cases: [(String, namespace: String, repository: String)] = [
            ("a/b", "a", "b"),
            ("org/team/app", "org", "team/app"),
            ("a/b.c", "a", "b.c"),
            ("a/b__c", "a", "b__c"),
            ("a/b---c", "a", "b---c"),
            ("a/b_c", "a", "b_c"),
            ("a/b-c", "a", "b-c"),
            ("0/9", "0", "9"),
            ("library/ubuntu", "library", "ubuntu"),
            ("my.org/my-app_v2/x.y__z", "my.org", "my-app_v2/x.y__z"),
            ("a/b/c/d/e", "a", "b/c/d/e"),
        ]
        for (full, namespace, repository) in cases {
            let name = try XCTUnwrap(RepositoryName(full), full)
            XCTAssertEqual(name.namespace, namespace, full)
            XCTAssertEqual(name.repository, repository, full)
            XCTAssertEqual(name.description, full, full)
        }
    }

    func testInvalidNames() {
        let cases = [
            "",
            "a",                // a single component
            "library",
            "A/b",              // upper case
            "a/B",
            "a/bC",
            "a/../b",
            "a/./b",
            "a/.b",             // leading separator
            "a/_b",
            "a/-b",
            "a/b.",             // trailing separator
            "a/b_",
            "a/b-",
            "a//b",             // empty component
            "/a/b",
            "a/b/",
            "a/b_-c",           // mixed separators
            "a/b.-c",
            "a/b-.c",
            "a/b..c",
            "a/b___c",          // three underscores
            "a/b c",
            "a/b:c",
            "a/b@c",
            "a/é",
        ]
        for name in cases {
            XCTAssertNil(RepositoryName(name), "\(name) was accepted")
        }
    }

    func testMaximumLength() throws {
        XCTAssertEqual(RepositoryName.maximumLength, 255)
        let exactly255 = "a/" + String(repeating: "b", count: 253)
        XCTAssertEqual(exactly255.count, 255)
        let name = try XCTUnwrap(RepositoryName(exactly255))
        XCTAssertEqual(name.repository.count, 253)
        XCTAssertNil(RepositoryName("a/" + String(repeating: "b", count: 254)), "256 characters")
        XCTAssertNil(RepositoryName("a/" + String(repeating: "b", count: 1000)))
    }

    func testNamespaceRepositoryInitializer() throws {
        let name = try XCTUnwrap(RepositoryName(namespace: "org", repository: "team/app"))
        XCTAssertEqual(name, RepositoryName("org/team/app"))
        XCTAssertEqual(name.namespace, "org")
        XCTAssertEqual(name.repository, "team/app")
        XCTAssertNil(RepositoryName(namespace: "Org", repository: "app"))
        XCTAssertNil(RepositoryName(namespace: "org", repository: ""))
        XCTAssertNil(RepositoryName(namespace: "", repository: "app"))
    }

    func testComponentGrammar() {
        for valid in ["a", "abc", "a1", "a.b", "a_b", "a__b", "a-b", "a--b", "a---------b", "a.b_c__d-e"] {
            XCTAssertTrue(RepositoryName.isValidComponent(valid), valid)
        }
        for invalid in ["", ".", "-", "_", "a.", ".a", "a..b", "a___b", "a_.b", "a-_b", "Ab", "a b"] {
            XCTAssertFalse(RepositoryName.isValidComponent(invalid), invalid)
        }
    }
}

final class ReferenceTests: XCTestCase {
    func testTags() {
        XCTAssertEqual(Reference("latest"), .tag("latest"))
        XCTAssertEqual(Reference("v1.2.3-rc_1"), .tag("v1.2.3-rc_1"))
        XCTAssertEqual(Reference("_private"), .tag("_private"))
        XCTAssertEqual(Reference("UPPER"), .tag("UPPER"))
        XCTAssertEqual(Reference("0"), .tag("0"))
        XCTAssertEqual(Reference("latest")?.description, "latest")
    }

    func testTagLength() {
        let tag128 = "a" + String(repeating: "b", count: 127)
        XCTAssertEqual(Reference(tag128), .tag(tag128))
        XCTAssertTrue(Reference.isValidTag(tag128))
        let tag129 = tag128 + "c"
        XCTAssertNil(Reference(tag129))
        XCTAssertFalse(Reference.isValidTag(tag129))
    }

    func testInvalidTags() {
        for tag in ["", ".hidden", "-dash", "a/b", "a b", "a+b", "tag@x", "é"] {
            XCTAssertNil(Reference(tag), "\(tag) was accepted")
            XCTAssertFalse(Reference.isValidTag(tag), tag)
        }
    }

    func testDigestReferences() throws {
        let hex = String(repeating: "ab", count: 32)
        let reference = try XCTUnwrap(Reference("sha256:" + hex))
        guard case .digest(let digest) = reference else { return XCTFail("not a digest: \(reference)") }
        XCTAssertEqual(digest.algorithm, .sha256)
        XCTAssertEqual(digest.hex, hex)
        XCTAssertEqual(reference.description, "sha256:" + hex)

        let sha512 = try XCTUnwrap(Reference("sha512:" + String(repeating: "0", count: 128)))
        XCTAssertEqual(sha512, .digest(Digest(algorithm: .sha512, hex: String(repeating: "0", count: 128))))
    }

    func testInvalidDigestReferences() {
        // Anything with a colon is read as a digest and must be a valid one.
        XCTAssertNil(Reference("sha256:abc"))
        XCTAssertNil(Reference("sha256:" + String(repeating: "AB", count: 32)))
        XCTAssertNil(Reference("v1:2"))
        XCTAssertNil(Reference("md5:d41d8cd98f00b204e9800998ecf8427e"))
    }
}
