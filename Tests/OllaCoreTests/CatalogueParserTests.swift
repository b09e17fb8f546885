import Testing
@testable import OllaCore

/// Response bodies shaped like real Ollama 0.5/0.6 and vLLM responses.
enum CatalogueFixtures {
    static let tags = """
    {
      "models": [
        {
          "name": "llama3.2:latest",
          "model": "llama3.2:latest",
          "modified_at": "2024-10-01T09:12:44.409136286+02:00",
          "size": 2019393189,
          "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
          "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "llama",
            "families": ["llama"],
            "parameter_size": "3.2B",
            "quantization_level": "Q4_K_M"
          }
        },
        {
          "name": "hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M",
          "model": "hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M",
          "modified_at": "2024-11-20T18:03:11.5-08:00",
          "size": 4683073184,
          "digest": "e1a2c3bd1f8c0e9d8c6c9a45bd1b2b0b8f3d5c36f4b7f2c2c7fc8a3c8d7e6f5a",
          "details": {"parent_model": "", "format": "gguf", "family": "qwen2", "families": ["qwen2"],
                      "parameter_size": "7.6B", "quantization_level": "unknown"},
          "remote_host": "future-field-olla-does-not-know"
        }
      ]
    }
    """

    static let ps = """
    {"models":[{"name":"llama3.2:latest","model":"llama3.2:latest","size":3462435840,\
    "digest":"a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",\
    "details":{"parent_model":"","format":"gguf","family":"llama","families":["llama"],\
    "parameter_size":"3.2B","quantization_level":"Q4_K_M"},\
    "expires_at":"2024-12-03T15:02:41.123456789+01:00","size_vram":3462435840,"context_length":4096}]}
    """

    static let openAIModels = """
    {"object":"list","data":[
      {"id":"meta-llama/Llama-3.1-8B-Instruct","object":"model","created":1715367049,"owned_by":"vllm",
       "root":"meta-llama/Llama-3.1-8B-Instruct","parent":null,"max_model_len":8192,"permission":[]},
      {"id":"gpt-oss-20b","object":"model","owned_by":"llamacpp"}
    ]}
    """
}

@Suite("Catalogue: CatalogueParser")
struct CatalogueParserTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    private func parseError(_ body: String, _ parse: ([UInt8]) throws(CatalogueParseError) -> Void) -> CatalogueParseError? {
        do {
            try parse(bytes(body))
            return nil
        } catch {
            return error
        }
    }

    private func tagsError(_ body: String) -> CatalogueParseError? {
        parseError(body) { body throws(CatalogueParseError) in _ = try CatalogueParser.tags(body) }
    }

    // MARK: /api/tags

    @Test func readsTags() throws {
        let models = try CatalogueParser.tags(bytes(CatalogueFixtures.tags))
        #expect(models.count == 2)
        let llama = models[0]
        #expect(llama.name == "llama3.2:latest")
        #expect(llama.digest == "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72")
        #expect(llama.size == 2_019_393_189)
        #expect(llama.modifiedAt == "2024-10-01T09:12:44.409136286+02:00")
        #expect(llama.modifiedUnixSeconds == 1_727_766_764)
        #expect(llama.source == .ollamaTags)
        #expect(models[1].name == "hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M")
    }

    @Test func keepsTheRawEntryIncludingUnknownFields() throws {
        let models = try CatalogueParser.tags(bytes(CatalogueFixtures.tags))
        let rendered = String(decoding: JSONWriter().render(models[1].raw), as: UTF8.self)
        #expect(rendered == #"{"name":"hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M","#
            + #""model":"hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M","modified_at":"2024-11-20T18:03:11.5-08:00","#
            + #""size":4683073184,"digest":"e1a2c3bd1f8c0e9d8c6c9a45bd1b2b0b8f3d5c36f4b7f2c2c7fc8a3c8d7e6f5a","#
            + #""details":{"parent_model":"","format":"gguf","family":"qwen2","families":["qwen2"],"#
            + #""parameter_size":"7.6B","quantization_level":"unknown"},"remote_host":"future-field-olla-does-not-know"}"#)
    }

    @Test func toleratesMissingAndNullOptionalFields() throws {
        let models = try CatalogueParser.tags(bytes(#"{"models":[{"model":"tiny:1b","digest":null,"size":null}]}"#))
        #expect(models.count == 1)
        #expect(models[0].name == "tiny:1b")  // `model` stands in for a missing `name`
        #expect(models[0].digest == nil)
        #expect(models[0].size == nil)
        #expect(models[0].modifiedAt == nil)
        #expect(models[0].modifiedUnixSeconds == nil)
    }

    @Test func readsEmptyAndNullLists() throws {
        #expect(try CatalogueParser.tags(bytes(#"{"models":[]}"#)).isEmpty)
        #expect(try CatalogueParser.tags(bytes(#"{"models":null}"#)).isEmpty)
    }

    @Test func keepsUnparseableModifiedAtTextWithoutATime() throws {
        let models = try CatalogueParser.tags(bytes(#"{"models":[{"name":"a","modified_at":"yesterday"}]}"#))
        #expect(models[0].modifiedAt == "yesterday")
        #expect(models[0].modifiedUnixSeconds == nil)
    }

    // MARK: /api/ps

    @Test func readsLoadedModels() throws {
        let loaded = try CatalogueParser.loaded(bytes(CatalogueFixtures.ps))
        #expect(loaded.count == 1)
        let model = loaded[0]
        #expect(model.name == "llama3.2:latest")
        #expect(model.digest == "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72")
        #expect(model.size == 3_462_435_840)
        #expect(model.sizeVRAM == 3_462_435_840)
        #expect(model.contextLength == 4096)
        #expect(model.expiresAt == "2024-12-03T15:02:41.123456789+01:00")
        #expect(model.expiry == RFC3339Timestamp(unixSeconds: 1_733_234_561, nanoseconds: 123_456_789))
        // Compact input renders back unchanged.
        #expect(JSONWriter().render(.object([])) == bytes("{}"))
        #expect(String(decoding: JSONWriter().render(model.raw), as: UTF8.self)
            == CatalogueFixtures.ps.dropFirst(#"{"models":["#.count).dropLast(2))
    }

    @Test func readsOlderPsWithoutContextLength() throws {
        let loaded = try CatalogueParser.loaded(bytes(#"{"models":[{"name":"a:1","model":"a:1","size_vram":0}]}"#))
        #expect(loaded[0].contextLength == nil)
        #expect(loaded[0].sizeVRAM == 0)
        #expect(loaded[0].expiry == nil)
    }

    // MARK: /v1/models

    @Test func readsOpenAIModels() throws {
        let models = try CatalogueParser.openAIModels(bytes(CatalogueFixtures.openAIModels))
        #expect(models.count == 2)
        #expect(models[0].name == "meta-llama/Llama-3.1-8B-Instruct")
        #expect(models[0].digest == nil)
        #expect(models[0].size == nil)
        #expect(models[0].modifiedUnixSeconds == 1_715_367_049)
        #expect(models[0].modifiedAt == "2024-05-10T18:50:49Z")
        #expect(models[0].source == .openAIModels)
        #expect(models[0].raw.member("max_model_len") == .integer(8192))
        #expect(models[1].name == "gpt-oss-20b")
        #expect(models[1].modifiedAt == nil)
        #expect(models[1].modifiedUnixSeconds == nil)
    }

    @Test func truncatesAFractionalCreated() throws {
        let models = try CatalogueParser.openAIModels(bytes(#"{"data":[{"id":"m","created":1715367049.75}]}"#))
        #expect(models[0].modifiedUnixSeconds == 1_715_367_049)
    }

    @Test func openAIModelsNeedAnID() {
        let error = parseError(#"{"object":"list","data":[{"object":"model"}]}"#) { body throws(CatalogueParseError) in
            _ = try CatalogueParser.openAIModels(body)
        }
        #expect(error?.message == #"data[0] has no "id""#)
        #expect(error?.document == "/v1/models")
    }

    // MARK: /api/version

    @Test func readsVersion() {
        #expect(CatalogueParser.version(bytes(#"{"version":"0.5.7"}"#)) == "0.5.7")
        #expect(CatalogueParser.version(bytes(#" {"version":"0.6.0-rc1","extra":1} "#)) == "0.6.0-rc1")
        #expect(CatalogueParser.version(bytes(#"{"version":""}"#)) == nil)
        #expect(CatalogueParser.version(bytes(#"{"version":5}"#)) == nil)
        #expect(CatalogueParser.version(bytes(#"{}"#)) == nil)
        #expect(CatalogueParser.version(bytes("Ollama is running")) == nil)
        #expect(CatalogueParser.version([]) == nil)
    }

    // MARK: Malformed bodies

    @Test func rejectsBodiesThatAreNotJSON() throws {
        let error = try #require(tagsError("{\"models\": [\n  {\"name\": \"a\",}\n]}"))
        #expect(error.document == "/api/tags")
        #expect(error.position == SourcePosition(line: 2, column: 16))
        #expect(error.message.hasPrefix("not valid JSON: trailing commas are not allowed"))
        #expect(error.description.hasPrefix("/api/tags response, line 2, column 16: not valid JSON"))
    }

    @Test func rejectsEmptyAndHTMLBodies() {
        #expect(tagsError("")?.message == "the body is empty")
        #expect(tagsError(" \n")?.description == "/api/tags response: the body is empty")
        #expect(tagsError("<html>502 Bad Gateway</html>")?.message.hasPrefix("not valid JSON") == true)
    }

    @Test(arguments: [
        (#"[]"#, #"expected an object with a "models" array, found an array"#),
        (#"{"error":"unauthorized"}"#, #"the object has no "models" member"#),
        (#"{"models":{}}"#, #""models" must be an array, found an object"#),
        (#"{"models":["llama3"]}"#, #"models[0] must be an object, found string "llama3""#),
        (#"{"models":[{"name":"a"},{"size":1}]}"#, #"models[1] has no "name""#),
        (#"{"models":[{"name":"","model":""}]}"#, #"models[0] has no "name""#),
        (#"{"models":[{"name":7}]}"#, #"models[0].name must be a string, found number 7"#),
        (#"{"models":[{"name":"a","size":"4 GB"}]}"#, #"models[0].size must be an integer, found string "4 GB""#),
        (#"{"models":[{"name":"a","size":4.5}]}"#, #"models[0].size must be an integer, found number 4.5"#),
        (#"{"models":[{"name":"a","size":99999999999999999999}]}"#,
         #"models[0].size must be an integer that fits in 64 bits, found number 99999999999999999999"#),
        (#"{"models":[{"name":"a","digest":false}]}"#, #"models[0].digest must be a string, found boolean false"#),
    ])
    func rejectsWrongShapes(_ body: String, _ message: String) {
        #expect(tagsError(body)?.message == message)
    }

    @Test func pointsAtTheOffendingValue() throws {
        let error = try #require(tagsError("{\"models\":[\n{\"name\":\"a\",\n \"size\": \"big\"}]}"))
        #expect(error.position == SourcePosition(line: 3, column: 10))
    }

    @Test func psErrorsNameTheirDocument() throws {
        let error = try #require(parseError(#"{"models":[{"name":"a","expires_at":1}]}"#) { body throws(CatalogueParseError) in
            _ = try CatalogueParser.loaded(body)
        })
        #expect(error.description == #"/api/ps response, line 1, column 37: models[0].expires_at must be a string, found number 1"#)
    }
}
