// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Outbound",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "outbound", targets: ["OutboundCLI"]),
        .executable(name: "activecampaign-sandbox", targets: ["ActiveCampaignSandboxCLI"]),
        .executable(name: "csv-parse-bench", targets: ["CSVParseBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/pointfreeco/swift-snapshot-testing.git", from: "1.19.7"),
    ],
    targets: [
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMalloc"),
        // What every layer needs and nothing of ours: the injectable clock, the blocking thread pool, validation rules.
        .target(name: "OutboundCore"),
        .target(name: "Secrets", dependencies: ["COpenSSL"]),
        .target(
            name: "Store",
            dependencies: [
                "OutboundCore", "Secrets",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "ActiveCampaign",
            dependencies: [
                "OutboundCore", "Secrets",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ActiveCampaignSandbox",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ActiveCampaignSandboxCLI",
            dependencies: [
                "ActiveCampaignSandbox",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "ProfileImport",
            dependencies: [
                "OutboundCore", "Store", "Secrets",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Benchmark only: compares CSVStream with yaslab/CSV.swift (see BENCHMARKS.md).
        .executableTarget(
            name: "CSVParseBench",
            dependencies: [
                "ProfileImport",
                .product(name: "CSV", package: "CSV.swift"),
            ]
        ),
        // The shared export engine: never imports Hummingbird or Web.
        .target(
            name: "ExportEngine",
            dependencies: [
                "OutboundCore", "Store", "Secrets", "ActiveCampaign",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Web",
            dependencies: [
                "OutboundCore", "Store", "Secrets", "ActiveCampaign", "ProfileImport",
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "OutboundCLI",
            dependencies: [
                "OutboundCore", "Web", "ExportEngine", "Store", "Secrets", "ActiveCampaign", "ActiveCampaignSandbox", "ProfileImport",
                "CMalloc",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "OutboundTests",
            dependencies: [
                "OutboundCore", "Web", "ExportEngine", "Store", "Secrets", "ActiveCampaign", "ActiveCampaignSandbox", "ProfileImport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SnapshotTesting", package: "swift-snapshot-testing"),
            ],
            exclude: ["__Snapshots__"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
