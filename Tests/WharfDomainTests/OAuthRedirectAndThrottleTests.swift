@testable import WharfDomain
import XCTest

/// Which redirect URIs an OAuth application may send codes and tokens to, and the login back-off delays.
final class OAuthRedirectTests: XCTestCase {
    func testRedirectMustStayOnTheRegisteredOriginAndPath() {
        let registered = "https://app.example/cb"
        for allowed in ["https://app.example/cb", "https://app.example/cb/sub", "https://APP.example/cb?x=1"] {
            XCTAssertTrue(OAuthService.redirect(allowed, isUnder: registered), allowed)
        }
        for refused in ["https://app.example.evil.com/cb", "https://app.example@evil.com/cb", "http://app.example/cb",
                        "https://app.example:8443/cb", "https://app.example/cbx", "https://app.example/", "//evil.com/cb",
                        "javascript:alert(1)", "https://app.example/cb#frag"] {
            XCTAssertFalse(OAuthService.redirect(refused, isUnder: registered), refused)
        }
        XCTAssertTrue(OAuthService.redirect("http://localhost:8000/anything", isUnder: "http://localhost:8000"))
        XCTAssertFalse(OAuthService.redirect("http://localhost:8001/", isUnder: "http://localhost:8000"))
        XCTAssertFalse(OAuthService.redirect("https://app.example/cb", isUnder: ""), "an application without a redirect URI gets none")
    }

    func testLoginThrottleDelays() {
        XCTAssertNil(LoginThrottle.delay(failures: 4, lastMs: 1_000, nowMs: 1_000))
        XCTAssertEqual(LoginThrottle.delay(failures: 5, lastMs: 1_000, nowMs: 1_000), 1)
        XCTAssertEqual(LoginThrottle.delay(failures: 7, lastMs: 1_000, nowMs: 2_000), 3)
        XCTAssertNil(LoginThrottle.delay(failures: 7, lastMs: 1_000, nowMs: 5_000))
        XCTAssertEqual(LoginThrottle.delay(failures: 60, lastMs: 0, nowMs: 0), 300, "capped at five minutes")
    }
}
