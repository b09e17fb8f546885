import Testing
@testable import OllaCore

/// `OllaConfig.check`: everything wrong with a file in one run (`--validate-config`).
@Suite struct ConfigCheckTests {
    private func check(_ text: String) -> (OllaConfig?, [String]) {
        let (config, errors) = OllaConfig.check(Array(text.utf8), source: "c.json")
        return (config, errors.map(\.description))
    }

    @Test func reportsEveryErrorInDocumentOrder() {
        let (_, errors) = check("""
        {
          "server": {"port": 0, "prot": 1},
          "proxy": {"connection_timeout": "abc"},
          "discovery": {"static": {"endpoints": [
            {"name": "a", "url": "ftp://x", "type": "ollama"},
            {"name": "b", "url": "http://b:11434", "type": "ollama", "weigth": 2}
          ]}}
        }
        """)
        #expect(errors.count == 5)
        #expect(errors[0].hasPrefix("c.json:2: server.port: "))
        #expect(errors[1].hasPrefix("c.json:2: server.prot: unknown key; did you mean 'port'?"))
        #expect(errors[2].hasPrefix("c.json:3: proxy.connection_timeout: invalid duration"))
        #expect(errors[3].hasPrefix("c.json:5: discovery.static.endpoints[0].url: invalid URL"))
        #expect(errors[4].hasPrefix("c.json:6: discovery.static.endpoints[1].weigth: unknown key; did you mean 'weight'?"))
    }

    @Test func theFirstErrorIsWhatParseThrows() throws {
        let text = #"{"server": {"port": 0}, "proxy": {"read_timeout": "x"}}"#
        let first = check(text).1.first
        #expect(throws: ConfigError.self) { try OllaConfig.parse(Array(text.utf8), source: "c.json") }
        do {
            _ = try OllaConfig.parse(Array(text.utf8), source: "c.json")
        } catch {
            #expect(error.description == first)
        }
    }

    @Test func aValidFileHasNoErrorsAndItsConfiguration() {
        let (config, errors) = check(#"{"server": {"port": 4000}}"#)
        #expect(errors.isEmpty)
        #expect(config?.server.port == 4000)
    }

    @Test func decodedEndpointsSurviveErrorsElsewhere() {
        let (config, errors) = check(#"{"proxy": {"max_retries": -1}, "discovery": {"static": {"endpoints": [{"name": "a", "url": "http://a:1", "type": "ollama"}]}}}"#)
        #expect(errors.count == 1)
        #expect(config?.discovery.staticEndpoints.endpoints.map(\.name) == ["a"])
    }

    @Test func yamlGetsAHintWithItsFirstKey() {
        let (_, errors) = check("# Go Olla\n---\nserver:\n  port: 40114\n")
        #expect(errors.count == 1)
        #expect(errors[0].hasSuffix("this looks like YAML (Go Olla's config.yaml); Olla reads JSON: its first key 'server:' would be written {\"server\": {...}}"))
        #expect(check("engineering:\n  x: 1\n").1.first?.contains("Olla has no 'engineering' section") == true)
    }

    @Test(arguments: ["{\"server\": }", "[1, 2", "server = 1", "- item\n"])
    func nonYAMLGetsNoHint(_ text: String) {
        #expect(YAMLHint.firstKey(Array(text.utf8)) == nil)
    }
}
