// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "wharf",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "wharf", targets: ["wharf"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .target(name: "WharfOCI", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .target(name: "WharfFaults", dependencies: [
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .target(name: "WharfStorage", dependencies: [
            "WharfOCI", "WharfFaults",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .target(name: "WharfMetadata", dependencies: [
            "WharfOCI", "WharfFaults",
            .product(name: "SQLKit", package: "sql-kit"),
            .product(name: "SQLiteKit", package: "sqlite-kit"),
            .product(name: "PostgresKit", package: "postgres-kit"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "WharfDomain", dependencies: [
            "WharfOCI", "WharfMetadata", "WharfStorage", "WharfFaults",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .target(name: "WharfHTTP", dependencies: [
            "WharfDomain", "WharfFaults", "WharfStorage",
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .target(name: "WharfRegistry", dependencies: [
            "WharfOCI", "WharfStorage", "WharfMetadata", "WharfDomain", "WharfHTTP",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .target(name: "WharfQuayAPI", dependencies: [
            "WharfOCI", "WharfStorage", "WharfMetadata", "WharfDomain", "WharfHTTP",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .target(name: "WharfPortusAPI", dependencies: [
            "WharfOCI", "WharfStorage", "WharfMetadata", "WharfDomain", "WharfHTTP",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .target(name: "WharfServer", dependencies: [
            "WharfOCI", "WharfStorage", "WharfMetadata", "WharfDomain", "WharfHTTP", "WharfRegistry", "WharfQuayAPI", "WharfPortusAPI",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        .executableTarget(name: "wharf", dependencies: [
            "WharfServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "WharfTestSupport", dependencies: [
            "WharfMetadata", "WharfStorage", "WharfOCI",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "SQLKit", package: "sql-kit"),
        ], path: "Tests/WharfTestSupport"),
        .testTarget(name: "WharfOCITests", dependencies: ["WharfOCI"]),
        .testTarget(name: "WharfStorageTests", dependencies: ["WharfStorage", "WharfTestSupport"]),
        .testTarget(name: "WharfMetadataTests", dependencies: ["WharfMetadata", "WharfFaults", "WharfTestSupport", .product(name: "SQLKit", package: "sql-kit")]),
        .testTarget(name: "WharfDomainTests", dependencies: ["WharfDomain", "WharfTestSupport"]),
        .testTarget(name: "WharfPortusAPITests", dependencies: ["WharfPortusAPI", "WharfHTTP", "WharfTestSupport"]),
        .testTarget(name: "WharfServerTests", dependencies: [
            "WharfServer", "WharfTestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
    ]
)
