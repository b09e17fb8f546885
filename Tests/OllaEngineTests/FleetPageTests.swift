import Testing
@testable import OllaCore
@testable import OllaEngine

/// The fleet page's embedded files and how they are served.
@Suite struct FleetPageTests {
    private static let packageRoot: String = {
        var components = #filePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        components.removeLast(3)
        return components.joined(separator: "/")
    }()

    @Test(arguments: FleetPage.Asset.allCases)
    func embeddedCopyEqualsTheFileInUI(asset: FleetPage.Asset) throws {
        let file = try ConfigFileReader.readAll(path: Self.packageRoot + "/" + asset.sourceFile)
        #expect(asset.body == file, "\(asset.sourceFile) changed: run `make ui` to regenerate FleetPage+Assets.swift")
    }

    @Test func routesServeEachFileAndRedirectTheBarePath() {
        #expect(InternalRoutes.route(method: "GET", rawTarget: "/internal/ui/") == .page(.index))
        #expect(InternalRoutes.route(method: "HEAD", rawTarget: "/internal/ui/?x=1") == .page(.index))
        #expect(InternalRoutes.route(method: "GET", rawTarget: "/internal/ui/fleet.css") == .page(.stylesheet))
        #expect(InternalRoutes.route(method: "GET", rawTarget: "/internal/ui/fleet.js") == .page(.script))
        #expect(InternalRoutes.route(method: "GET", rawTarget: "/internal/ui") == .pageRedirect)
        #expect(InternalRoutes.route(method: "GET", rawTarget: "/internal/ui/other.js") == nil)
        #expect(InternalRoutes.route(method: "POST", rawTarget: "/internal/ui/") == nil)
        #expect(InternalRoutes.route(method: "GET", rawTarget: "/internal/status/activity") == .activity)
        #expect(InternalRoutes.Route.page(.index).isOpen)
        #expect(!InternalRoutes.Route.activity.isOpen)
    }

    @Test func fileAnswerCarriesTypeTagAndPolicy() {
        let response = FleetPage.response(.script, ifNoneMatch: nil)
        #expect(response.status == 200)
        #expect(response.body == FleetPage.Asset.script.body)
        #expect(HeaderRules.value(of: "content-type", in: response.headers) == "text/javascript; charset=utf-8")
        #expect(HeaderRules.value(of: "cache-control", in: response.headers) == "no-cache")
        #expect(HeaderRules.value(of: "etag", in: response.headers) == FleetPage.Asset.script.entityTag)
        #expect(HeaderRules.value(of: "content-security-policy", in: response.headers)?.contains("script-src 'self'") == true)
        #expect(FleetPage.Asset.index.entityTag != FleetPage.Asset.script.entityTag)
    }

    @Test func matchingTagGivesBodilessNotModified() {
        let tag = FleetPage.Asset.index.entityTag
        #expect(FleetPage.response(.index, ifNoneMatch: tag).status == 304)
        #expect(FleetPage.response(.index, ifNoneMatch: tag).body.isEmpty)
        #expect(FleetPage.response(.index, ifNoneMatch: "\"other\", W/\(tag)").status == 304)
        #expect(FleetPage.response(.index, ifNoneMatch: "*").status == 304)
        #expect(FleetPage.response(.index, ifNoneMatch: "\"other\"").status == 200)
    }

    @Test func fnv1aMatchesReferenceValues() {
        // Reference values of FNV-1a 64 (Fowler, Noll, Vo test vectors).
        #expect(FleetPage.fnv1a(of: []) == "cbf29ce484222325")
        #expect(FleetPage.fnv1a(of: Array("a".utf8)) == "af63dc4c8601ec8c")
        #expect(FleetPage.fnv1a(of: Array("foobar".utf8)) == "85944171f73967e8")
    }
}
