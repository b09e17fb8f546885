import Testing
@testable import OllaCore

@Suite("Operations: server.rate_limits, auth, cors and internal_allowed_cidrs")
struct OperationsConfigTests {
    private func parse(_ text: String) throws(ConfigError) -> OllaConfig {
        try OllaConfig.parse(Array(text.utf8), source: "config.json")
    }

    private func failure(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func defaults() throws {
        let server = OllaConfig.defaults.server
        #expect(server.rateLimits.globalRequestsPerMinute == 0)
        #expect(server.rateLimits.perIPRequestsPerMinute == 0)
        #expect(server.rateLimits.healthRequestsPerMinute == 0)
        #expect(server.rateLimits.burstSize == 50)
        #expect(server.rateLimits.cleanupInterval == .seconds(300))
        #expect(!server.rateLimits.trustProxyHeaders)
        #expect(server.rateLimits.trustedProxyCIDRs.map(\.description) == ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"])
        #expect(!server.rateLimits.isEnabled)
        #expect(server.auth == AuthConfig(apiKeys: [], apiKeysEnv: ""))
        #expect(server.cors.allowedOrigins.isEmpty && server.cors.defaultOrigins)
        #expect(server.cors.originsEnv == "OLLAMA_ORIGINS")
        #expect(server.cors.allowedHeaders.prefix(5) == ["Authorization", "Content-Type", "User-Agent", "Accept", "X-Requested-With"])
        #expect(server.cors.allowedHeaders.suffix(2) == ["X-API-Key", "X-Request-ID"])
        #expect(server.cors.maxAge == .seconds(43_200))
        #expect(server.internalAllowedCIDRs.isEmpty)
        #expect(try parse(#"{"server": {"rate_limits": {}, "auth": {}, "cors": {}}}"#) == .defaults)
    }

    @Test func readsEverything() throws {
        let config = try parse(#"""
        {"server": {
          "rate_limits": {"global_requests_per_minute": 1000, "per_ip_requests_per_minute": 100,
                          "health_requests_per_minute": 600, "burst_size": 20, "cleanup_interval": "10m",
                          "trust_proxy_headers": true, "trusted_proxy_cidrs": ["10.1.0.0/16", "fd00::/8", "192.168.1.1"]},
          "auth": {"api_keys": ["sk-a", "sk-b", "sk-a"], "api_keys_env": "OLLA_API_KEYS"},
          "cors": {"allowed_origins": ["https://Chat.Example.com", "http://localhost:3000", "http://[::1]:8080"],
                   "allowed_headers": ["Authorization", "X-Custom"], "max_age": "1h"},
          "internal_allowed_cidrs": ["127.0.0.1/32", "::1/128"]
        }}
        """#)
        let rate = config.server.rateLimits
        #expect(rate == RateLimitsConfig(globalRequestsPerMinute: 1_000, perIPRequestsPerMinute: 100, healthRequestsPerMinute: 600,
                                         burstSize: 20, cleanupInterval: .seconds(600), trustProxyHeaders: true,
                                         trustedProxyCIDRs: try ["10.1.0.0/16", "fd00::/8", "192.168.1.1/32"].map { try CIDR(parsing: $0) }))
        #expect(config.server.auth == AuthConfig(apiKeys: ["sk-a", "sk-b"], apiKeysEnv: "OLLA_API_KEYS"))
        #expect(config.server.cors.allowedOrigins == ["https://chat.example.com", "http://localhost:3000", "http://[::1]:8080"])
        #expect(config.server.cors.allowedHeaders == ["Authorization", "X-Custom"])
        #expect(config.server.cors.maxAge == .seconds(3_600))
        #expect(config.server.internalAllowedCIDRs.map(\.description) == ["127.0.0.1/32", "::1/128"])
    }

    @Test(arguments: [
        (#"{"server": {"rate_limits": {"burst_size": 0}}}"#, "server.rate_limits.burst_size", "must be 1 or greater, found 0"),
        (#"{"server": {"rate_limits": {"per_ip_requests_per_minute": -1}}}"#, "server.rate_limits.per_ip_requests_per_minute", "must be 0 or greater, found -1"),
        (#"{"server": {"rate_limits": {"cleanup_interval": "0s"}}}"#, "server.rate_limits.cleanup_interval", "must be greater than 0, found 0s"),
        (#"{"server": {"rate_limits": {"trust_proxy_headers": "yes"}}}"#, "server.rate_limits.trust_proxy_headers", "expected true or false, found string \"yes\""),
        (#"{"server": {"auth": {"api_keys": ["ok", ""]}}}"#, "server.auth.api_keys[1]", "must not be empty"),
        (#"{"server": {"auth": {"api_keys": "sk-a"}}}"#, "server.auth.api_keys", "expected an array, found string \"sk-a\""),
        (#"{"server": {"auth": {"api_keys_env": "MY KEYS"}}}"#, "server.auth.api_keys_env",
         "must be an environment variable name (letters, digits and _, not starting with a digit), found \"MY KEYS\""),
        (#"{"server": {"cors": {"allowed_headers": ["Bad Header"]}}}"#, "server.cors.allowed_headers[0]",
         "invalid header name \"Bad Header\": use letters, digits and !#$%&'*+-.^_`|~ only, or \"*\""),
        (#"{"server": {"cors": {"max_age": 600}}}"#, "server.cors.max_age", "expected a duration string such as \"5s\" or \"500ms\", found number 600"),
    ])
    func rejectsInvalidValues(_ text: String, _ keyPath: String, _ message: String) throws {
        let error = try #require(failure(text))
        #expect(error.keyPath == keyPath)
        #expect(error.message == message)
    }

    @Test func rejectsBadAddressRanges() throws {
        let error = try #require(failure("{\"server\": {\n\"rate_limits\": {\"trusted_proxy_cidrs\": [\"10.0.0.0/8\",\n \"10.0.0.0/33\"]}}}"))
        #expect(error.line == 3)
        #expect(error.keyPath == "server.rate_limits.trusted_proxy_cidrs[1]")
        #expect(error.message == #"invalid CIDR "10.0.0.0/33": prefix length must be a number from 0 to 32; expected e.g. "10.0.0.0/8" or "fd00::/8""#)
        #expect(failure(#"{"server": {"internal_allowed_cidrs": ["localhost"]}}"#)?.keyPath == "server.internal_allowed_cidrs[0]")
        #expect(failure(#"{"server": {"internal_allowed_cidrs": "127.0.0.1/8"}}"#)?.message == #"expected an array, found string "127.0.0.1/8""#)
    }

    @Test func originPatternsWithOneStar() throws {
        let config = try parse(#"{"server": {"cors": {"allowed_origins": ["http://localhost:*", "https://*.Example.com", "app://*", "chrome-extension://*"], "default_origins": false, "origins_env": ""}}}"#)
        #expect(config.server.cors.allowedOrigins == ["http://localhost:*", "https://*.example.com", "app://*", "chrome-extension://*"])
        #expect(!config.server.cors.defaultOrigins && config.server.cors.originsEnv == "")
        #expect(failure(#"{"server": {"cors": {"allowed_origins": ["http://*:*"]}}}"#)?.message.hasPrefix("invalid origin \"http://*:*\": at most one * is allowed") == true)
    }

    @Test(arguments: ["chat.example.com", "https://chat.example.com/", "https://chat.example.com/app", "https://", "https://a b",
                      "https://host:0", "https://host:99999", "https://user@host", "://host", "https://[::1", "https://host:8o"])
    func rejectsBadOrigins(_ origin: String) throws {
        let error = try #require(failure(#"{"server": {"cors": {"allowed_origins": ["\#(origin)"]}}}"#))
        #expect(error.keyPath == "server.cors.allowed_origins[0]")
        #expect(error.message.hasPrefix("invalid origin"))
    }

    @Test func unknownKeysInTheNewSections() {
        #expect(failure(#"{"server": {"rate_limits": {"burst-size": 5}}}"#)?.message.hasPrefix("unknown key; did you mean 'burst_size'?") == true)
        #expect(failure(#"{"server": {"auth": {"apiKeys": []}}}"#)?.message.hasPrefix("unknown key; did you mean 'api_keys'?") == true)
        #expect(failure(#"{"server": {"cors": {"max-age": "1m"}}}"#)?.message.hasPrefix("unknown key; did you mean 'max_age'?") == true)
    }

    /// Every key of the new sections appears in docs/configuration.md (the existing
    /// documented-keys test probes the older sections).
    @Test(arguments: [#"{"server": {"rate_limits": {"zz": 1}}}"#, #"{"server": {"auth": {"zz": 1}}}"#, #"{"server": {"cors": {"zz": 1}}}"#,
                      #"{"server": {"zz": 1}}"#])
    func newKeysAreDocumented(_ probe: String) throws {
        var root = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        root.removeLast(3)
        let markdown = String(decoding: try ConfigFileReader.readAll(path: root.joined(separator: "/") + "/docs/configuration.md"), as: UTF8.self)
        let message = failure(probe)?.message ?? ""
        let list = try #require(message.firstRange(of: "(valid keys: "))
        for key in message[list.upperBound...].dropLast().split(separator: ", ") {
            #expect(markdown.contains("`\(key)`"), "key \(key) is not documented")
        }
    }
}
