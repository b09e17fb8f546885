import Testing
import OllaCore

@Suite("Config defaults")
struct ConfigDefaultsTests {
    private func parse(_ text: String) throws(ConfigError) -> OllaConfig {
        try OllaConfig.parse(Array(text.utf8), source: "config.json")
    }

    @Test func emptyObjectIsTheDefaultConfiguration() throws {
        #expect(try parse("{}") == .defaults)
        #expect(try parse(" \n{ }\n") == .defaults)
    }

    @Test func emptySectionsTakeDefaults() throws {
        let text = #"""
        {"server": {"request_limits": {}}, "proxy": {}, "discovery": {"static": {}, "model_discovery": {}},
         "model_registry": {"routing_strategy": {}}, "logging": {}}
        """#
        #expect(try parse(text) == .defaults)
    }

    @Test func serverDefaults() {
        let server = OllaConfig.defaults.server
        #expect(server.host == "localhost")
        #expect(server.port == 40_114)
        #expect(server.readTimeout == .seconds(30))
        #expect(server.writeTimeout == .zero)
        #expect(server.shutdownTimeout == .seconds(10))
        #expect(server.requestLogging)
        #expect(server.requestLimits.maxBodySize == 104_857_600)
        #expect(server.requestLimits.maxHeaderSize == 16_384)
        #expect(server.workers == 0)
    }

    @Test func proxyDefaults() {
        let proxy = OllaConfig.defaults.proxy
        #expect(proxy.engine == .olla)
        #expect(proxy.profile == .auto)
        #expect(proxy.loadBalancer == .residencyAware)
        #expect(proxy.scheduler == SchedulerSettings(defaultLoadTime: .seconds(5), queueLength: 512, queueTimeout: .seconds(300), tierMaxWait: .seconds(30)))
        #expect(proxy.connectionTimeout == .seconds(5))
        #expect(proxy.responseTimeout == .seconds(600))
        #expect(proxy.readTimeout == .seconds(300))
        #expect(proxy.maxRetries == 3)
        #expect(proxy.streamBufferSize == 1_048_576)
    }

    @Test func discoveryDefaultsToOneLocalOllama() throws {
        let discovery = OllaConfig.defaults.discovery
        #expect(discovery.type == .static)
        #expect(discovery.refreshInterval == .seconds(30))
        #expect(discovery.modelDiscovery == ModelDiscoveryConfig(enabled: true, interval: .seconds(300), timeout: .seconds(30)))
        let endpoint = try #require(discovery.staticEndpoints.endpoints.first)
        #expect(discovery.staticEndpoints.endpoints.count == 1)
        #expect(endpoint.name == "local-ollama")
        #expect(endpoint.url.baseURL == "http://localhost:11434")
        #expect(endpoint.type == .ollama)
        #expect(endpoint.priority == 100)
        #expect(endpoint.weight == 1)
        #expect(endpoint.healthCheckURL == "/")
        #expect(endpoint.modelURL == "/api/tags")
        #expect(endpoint.checkInterval == .seconds(5))
        #expect(endpoint.checkTimeout == .seconds(2))
        #expect(endpoint.headers.isEmpty)
    }

    @Test func registryAndLoggingDefaults() {
        #expect(OllaConfig.defaults.modelRegistry.type == .memory)
        #expect(OllaConfig.defaults.modelRegistry.routingStrategy.type == .strict)
        #expect(OllaConfig.defaults.logging == LoggingConfig(level: .info, format: .json, output: .stdout))
    }

    @Test func givenKeysOverrideOnlyThemselves() throws {
        let config = try parse(#"{"server": {"port": 8080}, "proxy": {"max_retries": 0}}"#)
        var expected = OllaConfig.defaults
        expected.server.port = 8080
        expected.proxy.maxRetries = 0
        #expect(config == expected)
    }

    @Test func endpointDefaultsDependOnType() throws {
        let config = try parse(#"""
        {"discovery": {"static": {"endpoints": [
            {"name": "a", "url": "http://a:11434", "type": "ollama"},
            {"name": "b", "url": "http://b:8000", "type": "openai-compatible"}
        ]}}}
        """#)
        let endpoints = config.discovery.staticEndpoints.endpoints
        #expect(endpoints.map(\.healthCheckURL) == ["/", "/v1/models"])
        #expect(endpoints.map(\.modelURL) == ["/api/tags", "/v1/models"])
        #expect(endpoints.map(\.priority) == [100, 100])
        #expect(endpoints[1].resolvedHealthCheckURL == "http://b:8000/v1/models")
    }

    @Test func ignoresByteOrderMark() throws {
        #expect(try OllaConfig.parse([0xEF, 0xBB, 0xBF] + Array("{}".utf8), source: "bom.json") == .defaults)
    }
}
