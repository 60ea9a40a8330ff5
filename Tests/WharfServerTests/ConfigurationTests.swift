import WharfServer
import XCTest

/// The YAML configuration with Quay's key names.
final class ConfigurationTests: XCTestCase {
    func testQuayKeysAreReadAndUnknownKeysOnlyWarn() throws {
        var configuration = WharfConfiguration()
        try configuration.apply(yaml: """
            SERVER_HOSTNAME: registry.example.com
            PREFERRED_URL_SCHEME: https
            SUPER_USERS: [admin, root]
            DB_URI: postgresql://wharf:secret@127.0.0.1:5432/wharf
            DISTRIBUTED_STORAGE_CONFIG:
              default: [LocalStorage, {storage_path: /var/lib/wharf/blobs}]
            DISTRIBUTED_STORAGE_PREFERENCE: [default]
            FEATURE_USER_INITIALIZE: false
            MAXIMUM_LAYER_SIZE: 500M
            PUSH_TEMP_TAG_EXPIRATION_SEC: 600
            LOOKUP_CACHE_TTL_SECONDS: 0
            FEATURE_BUILD_SUPPORT: true
            SECURITY_SCANNER_V4_ENDPOINT: http://clair
            """)
        XCTAssertEqual(configuration.effectiveServerHostname, "registry.example.com")
        XCTAssertEqual(configuration.urlScheme, "https")
        XCTAssertEqual(configuration.superUsers, ["admin", "root"])
        XCTAssertEqual(configuration.databaseURI, "postgresql://wharf:secret@127.0.0.1:5432/wharf")
        XCTAssertEqual(configuration.effectiveStoragePath, "/var/lib/wharf/blobs")
        XCTAssertFalse(configuration.userInitialize)
        XCTAssertEqual(configuration.maximumLayerSize, 500 * 1024 * 1024)
        XCTAssertEqual(configuration.pushTempTagExpiration, 600)
        XCTAssertEqual(configuration.lookupCacheTTL, 0)
        XCTAssertEqual(configuration.ignoredKeys, ["FEATURE_BUILD_SUPPORT", "SECURITY_SCANNER_V4_ENDPOINT"])
    }

    func testDefaultsNeedNoFile() {
        let configuration = WharfConfiguration()
        XCTAssertEqual(configuration.effectiveServerHostname, "127.0.0.1:5000")
        XCTAssertEqual(configuration.sqlitePath, "./wharf-data/wharf.db")
        XCTAssertTrue(configuration.userInitialize)
        XCTAssertNil(configuration.databaseURI)
    }

    func testUnsupportedStorageDriverIsRefusedClearly() {
        var configuration = WharfConfiguration()
        XCTAssertThrowsError(try configuration.apply(yaml: """
            DISTRIBUTED_STORAGE_CONFIG:
              s3: [S3Storage, {s3_bucket: images}]
            """)) { error in
            XCTAssertEqual("\(error)", "storage driver S3Storage is not supported yet; use LocalStorage")
        }
    }
}
