import Testing
@testable import OllaCore

/// Three endpoints with overlapping models:
/// - alpha (Ollama 0.6.2): llama3.2 (digest L), mistral:7b (digest M1); llama3.2 loaded.
/// - beta (Ollama 0.5.7): llama3.2 (digest L again), mistral:7b (digest M2, a different
///   build), qwen2.5:14b; llama3.2 and qwen loaded.
/// - gamma (OpenAI-compatible): meta-llama/Llama-3.1-8B-Instruct and llama3.2, no digests.
@Suite("Catalogue: merged view")
struct CatalogueTests {
    static let digestL = "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72"
    static let digestM1 = "f974a74358d62a017b37c6f424fcdf2744ca02926c4f952513ddf474b2fa5091"
    static let digestM2 = "2ae6f6dd7a3dd734790bbbf58b8909a606e0e7e97e94b7604e0aa7ae4490e6d8"
    static let digestQ = "7cdf5a0187d5c58cc5d369b255592f7841d1c4696d45a8c8a9489440385b22f6"

    static func tag(_ name: String, _ digest: String, _ modified: String, size: Int = 4_109_865_159) -> String {
        #"{"name":"\#(name)","model":"\#(name)","modified_at":"\#(modified)","size":\#(size),"digest":"\#(digest)","#
            + #""details":{"parent_model":"","format":"gguf","family":"llama","families":["llama"],"#
            + #""parameter_size":"7.2B","quantization_level":"Q4_0"}}"#
    }

    static func ps(_ name: String, _ digest: String, expires: String, vram: Int) -> String {
        #"{"name":"\#(name)","model":"\#(name)","size":\#(vram),"digest":"\#(digest)","details":{},"#
            + #""expires_at":"\#(expires)","size_vram":\#(vram),"context_length":4096}"#
    }

    static func inventory(
        _ endpoint: String, tags: [String], ps: [String] = [], version: String?
    ) throws -> EndpointInventory {
        EndpointInventory(
            endpoint: endpoint, kind: .ollama,
            models: try CatalogueParser.tags(Array(#"{"models":[\#(tags.joined(separator: ","))]}"#.utf8)),
            loaded: try CatalogueParser.loaded(Array(#"{"models":[\#(ps.joined(separator: ","))]}"#.utf8)),
            version: version
        )
    }

    static func threeEndpoints() throws -> [EndpointInventory] {
        let alpha = try inventory(
            "alpha",
            tags: [tag("llama3.2:latest", digestL, "2024-10-01T09:12:44.409136286+02:00"),
                   tag("mistral:7b", digestM1, "2024-08-01T00:00:00Z")],
            ps: [ps("llama3.2:latest", digestL, expires: "2024-12-03T15:00:00Z", vram: 111)],
            version: "0.6.2"
        )
        let beta = try inventory(
            "beta",
            tags: [tag("llama3.2:latest", digestL, "2024-10-05T00:00:00Z"),
                   tag("mistral:7b", digestM2, "2024-09-01T00:00:00Z"),
                   tag("qwen2.5:14b", digestQ, "2024-11-01T00:00:00Z")],
            ps: [ps("llama3.2:latest", digestL, expires: "2024-12-03T16:00:00Z", vram: 222),
                 ps("qwen2.5:14b", digestQ, expires: "2024-12-03T14:00:00Z", vram: 333)],
            version: "0.5.7"
        )
        let gamma = EndpointInventory(
            endpoint: "gamma", kind: .openAICompatible,
            models: try CatalogueParser.openAIModels(Array("""
                {"object":"list","data":[
                  {"id":"meta-llama/Llama-3.1-8B-Instruct","object":"model","created":1715367049,"owned_by":"vllm"},
                  {"id":"llama3.2","object":"model","created":1700000000,"owned_by":"vllm"}]}
                """.utf8))
        )
        return [alpha, beta, gamma]
    }

    /// Parses a rendered body and returns the given string member of each element of its list.
    private func column(_ body: [UInt8], list: String, member: String) throws -> [String?] {
        let root = try JSONParser().parse(body).value
        guard case .array(let elements)? = root.member(list) else {
            Issue.record("no \(list) array")
            return []
        }
        return elements.map { element in
            switch element.value.member(member) {
            case .string(let text)?: text
            case .number(let number)?: number.text
            default: nil
            }
        }
    }

    private func text(_ bytes: [UInt8]?) -> String? {
        bytes.map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Lookups

    @Test func holdersInPreferenceOrderWithOllamaNameMatching() throws {
        let catalogue = Catalogue(try Self.threeEndpoints())
        #expect(catalogue.holders(of: "llama3.2") == ["alpha", "beta", "gamma"])
        #expect(catalogue.holders(of: "LLAMA3.2:latest") == ["alpha", "beta", "gamma"])
        #expect(catalogue.holders(of: "mistral:7b") == ["alpha", "beta"])
        #expect(catalogue.holders(of: "qwen2.5:14b") == ["beta"])
        #expect(catalogue.holders(of: "meta-llama/llama-3.1-8b-instruct") == ["gamma"])
        #expect(catalogue.holders(of: "mistral") == [])  // mistral:latest is not mistral:7b
        #expect(catalogue.holders(of: "nope") == [])
    }

    @Test func loadedOnComesFromPs() throws {
        let catalogue = Catalogue(try Self.threeEndpoints())
        #expect(catalogue.loadedOn("llama3.2") == ["alpha", "beta"])
        #expect(catalogue.loadedOn("Qwen2.5:14B") == ["beta"])
        #expect(catalogue.loadedOn("mistral:7b") == [])
        #expect(catalogue.loadedOn("nope") == [])
    }

    @Test func containsAndEntryUseTheMostPreferredEndpoint() throws {
        let catalogue = Catalogue(try Self.threeEndpoints())
        #expect(catalogue.contains("Llama3.2"))
        #expect(!catalogue.contains("llama3.2:1b"))
        let entry = try #require(catalogue.entry(for: "llama3.2"))
        #expect(entry.modifiedAt == "2024-10-01T09:12:44.409136286+02:00")  // alpha's, not beta's
        #expect(catalogue.entry(for: "mistral:7b")?.digest == Self.digestM1)
        #expect(catalogue.entry(for: "nope") == nil)
    }

    @Test func anEndpointListingANameTwiceIsOneHolder() throws {
        let twice = try Self.inventory(
            "solo", tags: [Self.tag("a:1", "d1", "2024-01-01T00:00:00Z"), Self.tag("A:1", "d2", "2024-01-01T00:00:00Z")],
            version: nil
        )
        #expect(Catalogue([twice]).holders(of: "a:1") == ["solo"])
    }

    // MARK: /api/tags

    @Test func tagsMergeSameDigestKeepDifferentDigestsAndSortNewestFirst() throws {
        let body = Catalogue(try Self.threeEndpoints()).tagsBody()
        #expect(try column(body, list: "models", member: "name") == [
            "qwen2.5:14b",  // 2024-11-01 (beta)
            "llama3.2:latest",  // alpha's copy represents both alpha and beta
            "mistral:7b",  // 2024-09-01, beta's build
            "mistral:7b",  // 2024-08-01, alpha's build: a different digest, kept
            "meta-llama/Llama-3.1-8B-Instruct",  // gamma, created 2024-05-10
            "llama3.2",  // gamma, no digest: not merged with the Ollama build
        ])
        #expect(try column(body, list: "models", member: "digest") == [
            Self.digestQ, Self.digestL, Self.digestM2, Self.digestM1, "", "",
        ])
        #expect(try column(body, list: "models", member: "modified_at")[1] == "2024-10-01T09:12:44.409136286+02:00")
    }

    @Test func tagsRenderOllamaEntriesFromTheirRawJSON() throws {
        let entry = Self.tag("llama3.2:latest", Self.digestL, "2024-10-01T09:12:44.409136286+02:00")
        let catalogue = Catalogue([try Self.inventory("alpha", tags: [entry], version: nil)])
        #expect(text(catalogue.tagsBody()) == #"{"models":[\#(entry)]}"#)
    }

    @Test func tagsSynthesizeOllamaShapeForOpenAIModels() throws {
        let models = try CatalogueParser.openAIModels(Array(#"{"data":[{"id":"gpt-oss-20b"},{"id":"m","created":1715367049}]}"#.utf8))
        let catalogue = Catalogue([EndpointInventory(endpoint: "vllm", kind: .openAICompatible, models: models)])
        let details = #""details":{"parent_model":"","format":"","family":"","families":null,"parameter_size":"","quantization_level":""}"#
        #expect(text(catalogue.tagsBody()) == #"{"models":["#
            + #"{"name":"m","model":"m","modified_at":"2024-05-10T18:50:49Z","size":0,"digest":"",\#(details)},"#
            + #"{"name":"gpt-oss-20b","model":"gpt-oss-20b","modified_at":"1970-01-01T00:00:00Z","size":0,"digest":"",\#(details)}"#
            + "]}")
    }

    @Test func tagsSortIsStableWithinTheSameSecondAndPutsUnknownTimesLast() throws {
        let inventory = try Self.inventory("a", tags: [
            Self.tag("undated", "d0", "not a time"),
            Self.tag("first", "d1", "2024-01-01T00:00:00.1Z"),
            Self.tag("second", "d2", "2024-01-01T00:00:00.9Z"),  // same second: input order kept, as Ollama does
            Self.tag("newer", "d3", "2024-01-01T01:00:00+01:00"),  // midnight UTC too: a three-way tie
            Self.tag("newest", "d4", "2024-01-02T00:00:00Z"),
        ], version: nil)
        let names = try column(Catalogue([inventory]).tagsBody(), list: "models", member: "name")
        #expect(names == ["newest", "first", "second", "newer", "undated"])
    }

    // MARK: /api/ps

    @Test func psIsTheUnionKeepingTheLatestExpiry() throws {
        let body = Catalogue(try Self.threeEndpoints()).psBody()
        #expect(try column(body, list: "models", member: "name") == ["llama3.2:latest", "qwen2.5:14b"])
        // llama3.2 is loaded on alpha and beta; beta's record expires later and wins.
        #expect(try column(body, list: "models", member: "size_vram") == ["222", "333"])
        #expect(try column(body, list: "models", member: "expires_at") == ["2024-12-03T16:00:00Z", "2024-12-03T14:00:00Z"])
    }

    @Test func psKeepsDifferentBuildsAndSortsByExpiry() throws {
        let a = try Self.inventory("a", tags: [], ps: [
            Self.ps("m:1", "d1", expires: "2024-12-03T10:00:00Z", vram: 1),
            Self.ps("n:1", "d9", expires: "not a time", vram: 9),
        ], version: nil)
        let b = try Self.inventory("b", tags: [], ps: [
            Self.ps("M:1", "d2", expires: "2024-12-03T12:00:00+01:00", vram: 2),  // 11:00Z
            Self.ps("m:1", "d1", expires: "2024-12-03T09:00:00Z", vram: 3),  // earlier: a's record stays
        ], version: nil)
        let body = Catalogue([a, b]).psBody()
        #expect(try column(body, list: "models", member: "size_vram") == ["2", "1", "9"])
        #expect(Catalogue([a, b]).loadedModels.count == 3)
    }

    // MARK: /v1/models

    @Test func openAIListIsOnePerNameNewestFirst() throws {
        let catalogue = Catalogue(try Self.threeEndpoints())
        #expect(text(catalogue.openAIModelsBody()) == #"{"object":"list","data":["#
            + #"{"id":"qwen2.5:14b","object":"model","created":1730419200,"owned_by":"library"},"#
            + #"{"id":"llama3.2:latest","object":"model","created":1727766764,"owned_by":"library"},"#
            + #"{"id":"mistral:7b","object":"model","created":1722470400,"owned_by":"library"},"#
            + #"{"id":"meta-llama/Llama-3.1-8B-Instruct","object":"model","created":1715367049,"owned_by":"meta-llama"}"#
            + "]}")
    }

    @Test func openAIModelEchoesTheRequestedID() throws {
        let catalogue = Catalogue(try Self.threeEndpoints())
        #expect(text(catalogue.openAIModelBody(id: "llama3.2"))
            == #"{"id":"llama3.2","object":"model","created":1727766764,"owned_by":"library"}"#)
        #expect(text(catalogue.openAIModelBody(id: "meta-llama/Llama-3.1-8B-Instruct"))
            == #"{"id":"meta-llama/Llama-3.1-8B-Instruct","object":"model","created":1715367049,"owned_by":"meta-llama"}"#)
        #expect(catalogue.openAIModelBody(id: "missing") == nil)
    }

    @Test func openAICreatedComesFromModifiedAtWithItsOffset() throws {
        let inventory = try Self.inventory(
            "a", tags: [Self.tag("hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M", "d", "2024-06-04T14:38:31.999-07:00")],
            version: nil
        )
        #expect(text(Catalogue([inventory]).openAIModelsBody()) == #"{"object":"list","data":[{"id":"#
            + #""hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M","object":"model","created":1717537111,"owned_by":"bartowski"}]}"#)
    }

    // MARK: /api/version

    @Test func versionIsTheLowestReported() throws {
        #expect(text(Catalogue(try Self.threeEndpoints()).versionBody()) == #"{"version":"0.5.7"}"#)
    }

    @Test func noVersionIsMadeUpWhenNobodyReportsOne() {
        let silent = EndpointInventory(endpoint: "a", kind: .ollama, models: [], version: "dev-build")
        #expect(Catalogue([silent]).versionBody() == nil)
        #expect(Catalogue.lowestVersion(of: [silent]) == nil)
    }

    @Test(arguments: [
        (["0.5.7", "0.5.10"], "0.5.7"),
        (["0.6.0", "0.6.0-rc1"], "0.6.0-rc1"),
        (["0.6.0-rc10", "0.6.0-rc2"], "0.6.0-rc2"),
        (["0.10.0", "0.9.9"], "0.9.9"),
        (["v0.3.14", "0.4.0"], "v0.3.14"),
        (["0.5", "0.5.0"], "0.5"),  // equal: the first wins
        (["garbage", "1.2.3", "", "0.5.x"], "1.2.3"),
        (["0.5.7+build.9", "0.5.7-rc1"], "0.5.7-rc1"),
    ])
    func lowestVersion(_ versions: [String], _ expected: String) {
        let inventories = versions.enumerated().map {
            EndpointInventory(endpoint: "e\($0.offset)", kind: .ollama, models: [], version: $0.element)
        }
        #expect(Catalogue.lowestVersion(of: inventories) == expected)
    }

    @Test func backendVersionOrdering() throws {
        let v = { (text: String) throws -> BackendVersion in try #require(BackendVersion(text)) }
        #expect(try v("0.5.7") < v("0.5.8"))
        #expect(try v("0.6.0-rc1") < v("0.6.0"))
        #expect(try v("0.6.0-rc.1") < v("0.6.0-rc.2"))
        #expect(try v("0.6.0-alpha") < v("0.6.0-beta"))
        #expect(try v("0.6.0-1") < v("0.6.0-alpha"))
        #expect(try v("0.6.0-rc") < v("0.6.0-rc.1"))
        #expect(try v("1.0") == v("1.0.0"))
        #expect(try !(v("0.6.0") < v("0.6.0-rc1")))
        #expect(BackendVersion("") == nil)
        #expect(BackendVersion("1..2") == nil)
        #expect(BackendVersion("1.2.3-") == nil)
        #expect(BackendVersion("-rc1") == nil)
        #expect(try v("0.5.7-rc1+abc").prerelease == "rc1")
    }

    // MARK: Edge cases

    @Test func emptyCatalogueAnswersWithEmptyLists() {
        let catalogue = Catalogue([])
        #expect(text(catalogue.tagsBody()) == #"{"models":[]}"#)
        #expect(text(catalogue.psBody()) == #"{"models":[]}"#)
        #expect(text(catalogue.openAIModelsBody()) == #"{"object":"list","data":[]}"#)
        #expect(catalogue.versionBody() == nil)
        #expect(catalogue.holders(of: "llama3") == [])
        #expect(!catalogue.contains("llama3"))
    }

    @Test func bodiesAreValidJSON() throws {
        let catalogue = Catalogue(try Self.threeEndpoints())
        for body in [catalogue.tagsBody(), catalogue.psBody(), catalogue.openAIModelsBody(), try #require(catalogue.versionBody())] {
            _ = try JSONParser().parse(body)
        }
    }

    @Test func namesNeedingEscapesSurviveSynthesis() throws {
        let models = try CatalogueParser.openAIModels(Array(#"{"data":[{"id":"a\"b<c>\u00e9","created":0}]}"#.utf8))
        let catalogue = Catalogue([EndpointInventory(endpoint: "x", kind: .openAICompatible, models: models)])
        #expect(try column(catalogue.openAIModelsBody(), list: "data", member: "id") == ["a\"b<c>é"])
        #expect(text(catalogue.openAIModelsBody())?.contains(#""a\"b\u003cc\u003eé""#) == true)
    }
}
