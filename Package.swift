// swift-tools-version:6.0
import PackageDescription

// Dependencies point inward: the adapters (OllaHTTPServer, OllaUpstream) depend on
// OllaEngine, which depends on OllaCore. Only the `olla` executable knows every target.
let package = Package(
    name: "olla",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "olla", targets: ["olla"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CMicroHTTPD",
            path: "Modules/CMicroHTTPD",
            // Debian's 0.9.75 rebuilt with Olla's patches: `make build-deps` runs
            // scripts/libmicrohttpd/build.sh (see docs/security.md).
            pkgConfig: "libmicrohttpd-olla"
        ),
        .systemLibrary(
            name: "CCurl",
            path: "Modules/CCurl",
            // Debian 12's curl source package rebuilt with Olla's patches: `make build-deps`
            // runs scripts/libcurl/build.sh (see docs/security.md).
            pkgConfig: "libcurl-olla"
        ),
        .systemLibrary(name: "CGlibcMalloc", path: "Modules/CGlibcMalloc"),
        // epoll and eventfd for the worker loop (Glibc's Swift module exports neither).
        .systemLibrary(name: "CEpoll", path: "Modules/CEpoll"),
        .target(name: "OllaCore"),
        .target(
            name: "OllaEngine",
            dependencies: ["OllaCore", .product(name: "Logging", package: "swift-log")]
        ),
        // The worker loop both adapters are drivers of; knows neither library.
        .target(name: "OllaEventLoop", dependencies: ["CEpoll"]),
        .target(name: "OllaHTTPServer", dependencies: ["OllaEngine", "OllaCore", "OllaEventLoop", "CMicroHTTPD"]),
        .target(name: "OllaUpstream", dependencies: ["OllaEngine", "OllaCore", "OllaEventLoop", "CCurl"]),
        .executableTarget(
            name: "olla",
            dependencies: [
                "OllaCore", "OllaEngine", "OllaEventLoop", "OllaHTTPServer", "OllaUpstream", "CGlibcMalloc",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A seeded generator and such, shared by the unit test targets (not shipped).
        .target(name: "OllaTestSupport", path: "Tests/OllaTestSupport"),
        .testTarget(name: "OllaCoreTests", dependencies: ["OllaCore", "OllaTestSupport"]),
        .testTarget(name: "OllaEngineTests", dependencies: ["OllaEngine", "OllaCore"]),
        .testTarget(name: "OllaEventLoopTests", dependencies: ["OllaEventLoop"]),
        .testTarget(name: "OllaUpstreamTests", dependencies: ["OllaUpstream", "OllaEngine", "OllaCore", "CCurl", "OllaTestSupport"]),
        .testTarget(name: "OllaHTTPServerTests", dependencies: ["OllaHTTPServer", "OllaTestSupport"]),
    ]
)
