import Testing
@testable import OllaCore

@Suite("Config error reporting")
struct ConfigErrorReportingTests {
    private func failure(_ text: String, source: String = "config.json") -> ConfigError? {
        do {
            _ = try OllaConfig.parse(Array(text.utf8), source: source)
            return nil
        } catch {
            return error
        }
    }

    @Test func unknownKeyNamesPathLineValidKeysAndSuggestion() throws {
        let text = """
        {
          "server": {
            "prot": 8080
          }
        }
        """
        let error = try #require(failure(text))
        #expect(error.line == 3)
        #expect(error.keyPath == "server.prot")
        #expect(error.description == "config.json:3: server.prot: unknown key; did you mean 'port'? "
            + "(valid keys: host, port, read_timeout, write_timeout, shutdown_timeout, request_logging, request_limits, rate_limits, auth, cors, internal_allowed_cidrs, workers)")
    }

    @Test func unknownTopLevelKey() {
        #expect(failure(#"{"sever": {}}"#)?.description == "config.json:1: sever: unknown key; did you mean 'server'? "
            + "(valid keys: server, proxy, discovery, model_registry, logging)")
        #expect(failure(#"{"modelRegistry": {}}"#)?.message.contains("did you mean 'model_registry'?") == true)
    }

    @Test func suggestsSnakeCaseForCamelCaseKeys() {
        #expect(failure(#"{"proxy": {"connectionTimeout": "5s"}}"#)?.message.hasPrefix("unknown key; did you mean 'connection_timeout'?") == true)
        #expect(failure(#"{"server": {"Read-Timeout": "5s"}}"#)?.message.hasPrefix("unknown key; did you mean 'read_timeout'?") == true)
    }

    @Test func unknownKeyWithoutCloseMatchHasNoSuggestion() {
        // `tls` is not a setting here; it must not be silently ignored.
        #expect(failure(#"{"server": {"tls": {}}}"#)?.message == "unknown key "
            + "(valid keys: host, port, read_timeout, write_timeout, shutdown_timeout, request_logging, request_limits, rate_limits, auth, cors, internal_allowed_cidrs, workers)")
    }

    @Test func unknownKeysInsideEndpointsAndEmptyNestedSections() {
        let endpoint = #"{"discovery": {"static": {"endpoints": [{"name": "a", "url": "http://a", "type": "ollama", "prority": 1}]}}}"#
        let error = failure(endpoint)
        #expect(error?.keyPath == "discovery.static.endpoints[0].prority")
        #expect(error?.message.hasPrefix("unknown key; did you mean 'priority'? (valid keys: name, url, type, priority, weight,") == true)

        #expect(failure(#"{"model_registry": {"routing_strategy": {"options": {}}}}"#)?.description
            == "config.json:1: model_registry.routing_strategy.options: unknown key (valid keys: type)")
    }

    @Test func unusualKeysAreQuotedInThePath() {
        #expect(failure(#"{"server": {"port ": 1}}"#)?.description
            == #"config.json:1: server["port "]: unknown key; did you mean 'port'? (valid keys: host, port, read_timeout, write_timeout, shutdown_timeout, request_logging, request_limits, rate_limits, auth, cors, internal_allowed_cidrs, workers)"#)
    }

    @Test func duplicateKeysAreRejectedAtTheSecondOccurrence() {
        let text = """
        {
          "server": {
            "port": 8080,
            "host": "0.0.0.0",
            "port": 9090
          }
        }
        """
        #expect(failure(text)?.description == "config.json:5: server.port: duplicate key (first defined on line 3)")
        #expect(failure(#"{"logging": {}, "logging": {}}"#)?.description == "config.json:1: logging: duplicate key (first defined on line 1)")
    }

    @Test func wrongTypeReportsExpectedAndFound() {
        let text = """
        {
          "server": {
            "port": 40114
          },
          "proxy": {
            "load_balancer": "priority",
            "connection_timeout": 5
          }
        }
        """
        #expect(failure(text)?.description
            == #"config.json:7: proxy.connection_timeout: expected a duration string such as "5s" or "500ms", found number 5"#)
    }

    @Test func longStringsAreShortenedInMessages() {
        let long = String(repeating: "x", count: 100)
        let message = failure(#"{"logging": {"level": "\#(long)"}}"#)?.message ?? ""
        #expect(message.hasSuffix(#"found "\#(String(repeating: "x", count: 60))...""#))
    }

    @Test func syntaxErrorsReportLineAndColumn() {
        let text = """
        {
          "server": {
            "port": 8080,
          }
        }
        """
        let error = failure(text)
        #expect(error?.line == 4)
        #expect(error?.keyPath == nil)
        #expect(error?.description
            == "config.json:4: invalid JSON at column 3: trailing commas are not allowed; expected an object key after ','")
        #expect(failure("{\n  # comment\n}")?.description
            == "config.json:2: invalid JSON at column 3: expected a string as object key")
        #expect(failure("")?.description == "config.json:1: invalid JSON at column 1: unexpected end of input, expected a value")
    }

    @Test func topLevelMustBeAnObject() {
        #expect(failure("[]")?.description == "config.json:1: the configuration must be a JSON object ({ ... }), found an array")
        #expect(failure("\n\"server\"")?.description == #"config.json:2: the configuration must be a JSON object ({ ... }), found string "server""#)
    }

    @Test func firstProblemInFileOrderOfSectionsIsReported() {
        let text = #"{"server": {"port": 0}, "proxy": {"max_retries": -1}}"#
        #expect(failure(text)?.keyPath == "server.port")
    }

    @Test func descriptionLeavesOutMissingParts() {
        #expect(ConfigError(source: "a.json", line: 2, keyPath: "x.y", message: "bad").description == "a.json:2: x.y: bad")
        #expect(ConfigError(source: "a.json", line: 2, message: "bad").description == "a.json:2: bad")
        #expect(ConfigError(source: "a.json", keyPath: "x", message: "bad").description == "a.json: x: bad")
        #expect(ConfigError(source: "a.json", message: "bad").description == "a.json: bad")
    }

    @Test func spellingSuggestions() {
        let keys = ["host", "port", "read_timeout", "write_timeout"]
        #expect(SpellingSuggestion.closest(to: "prot", among: keys) == "port")
        #expect(SpellingSuggestion.closest(to: "hots", among: keys) == "host")
        #expect(SpellingSuggestion.closest(to: "readtimeout", among: keys) == "read_timeout")
        #expect(SpellingSuggestion.closest(to: "ReadTimeout", among: keys) == "read_timeout")
        #expect(SpellingSuggestion.closest(to: "timeout", among: keys) == nil)
        #expect(SpellingSuggestion.closest(to: "anything", among: []) == nil)
        #expect(SpellingSuggestion.editDistance("kitten", "sitting") == 3)
        #expect(SpellingSuggestion.editDistance("", "abc") == 3)
        #expect(SpellingSuggestion.editDistance("same", "same") == 0)
    }
}
