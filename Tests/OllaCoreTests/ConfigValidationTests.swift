import Testing
import OllaCore

/// One rule per case: a small config, and the exact error it must produce.
@Suite("Config validation")
struct ConfigValidationTests {
    private func parse(_ text: String) throws(ConfigError) -> OllaConfig {
        try OllaConfig.parse(Array(text.utf8), source: "config.json")
    }

    /// The rendered error for `text`, or nil when it loads.
    private func failure(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error.description
        }
    }

    /// Wraps a single endpoint object into a full config.
    private func endpoint(_ members: String) -> String {
        #"{"discovery": {"static": {"endpoints": [{"name": "gpu", "url": "http://10.0.0.5:11434", "type": "ollama"\#(members)}]}}}"#
    }

    // MARK: server

    @Test(arguments: [
        (#"{"server": {"host": ""}}"#, "config.json:1: server.host: must not be empty"),
        (#"{"server": {"host": "my host"}}"#, #"config.json:1: server.host: must not contain whitespace or control characters, found "my host""#),
        (#"{"server": {"host": 127}}"#, "config.json:1: server.host: expected a string, found number 127"),
        (#"{"server": {"port": 0}}"#, "config.json:1: server.port: must be between 1 and 65535, found 0"),
        (#"{"server": {"port": 65536}}"#, "config.json:1: server.port: must be between 1 and 65535, found 65536"),
        (#"{"server": {"port": "8080"}}"#, #"config.json:1: server.port: expected an integer, found string "8080""#),
        (#"{"server": {"port": 8080.0}}"#, "config.json:1: server.port: expected an integer, found number 8080.0"),
        (#"{"server": {"port": 1e3}}"#, "config.json:1: server.port: expected an integer, found number 1e3"),
        (#"{"server": {"port": 99999999999999999999}}"#, "config.json:1: server.port: must be between 1 and 65535, found 99999999999999999999"),
        (#"{"server": {"port": null}}"#, "config.json:1: server.port: expected an integer, found null"),
        (#"{"server": {"read_timeout": 30}}"#, #"config.json:1: server.read_timeout: expected a duration string such as "5s" or "500ms", found number 30"#),
        (#"{"server": {"write_timeout": "-1s"}}"#, #"config.json:1: server.write_timeout: invalid duration "-1s": negative durations are not allowed"#),
        (#"{"server": {"shutdown_timeout": "10"}}"#, #"config.json:1: server.shutdown_timeout: invalid duration "10": missing unit after "10" (write e.g. "10s"; units: ns, us, ms, s, m, h)"#),
        (#"{"server": {"workers": -1}}"#, "config.json:1: server.workers: must be between 0 and 1024, found -1"),
        (#"{"server": {"workers": 1025}}"#, "config.json:1: server.workers: must be between 0 and 1024, found 1025"),
        (#"{"server": {"workers": "2"}}"#, #"config.json:1: server.workers: expected an integer, found string "2""#),
        (#"{"server": {"request_logging": "yes"}}"#, #"config.json:1: server.request_logging: expected true or false, found string "yes""#),
        (#"{"server": {"request_limits": {"max_body_size": -1}}}"#, "config.json:1: server.request_limits.max_body_size: must be 0 or greater, found -1"),
        (#"{"server": {"request_limits": {"max_header_size": 1023}}}"#, "config.json:1: server.request_limits.max_header_size: must be between 1024 and 1048576, found 1023"),
        (#"{"server": {"request_limits": []}}"#, "config.json:1: server.request_limits: expected an object, found an array"),
        (#"{"server": "localhost"}"#, #"config.json:1: server: expected an object, found string "localhost""#),
    ])
    func serverRules(_ text: String, _ expected: String) {
        #expect(failure(text) == expected)
    }

    @Test func serverAcceptsBoundaryValues() throws {
        let config = try parse(#"""
        {"server": {"host": "0.0.0.0", "port": 65535, "read_timeout": "0", "write_timeout": "0s",
                    "shutdown_timeout": "0s", "request_logging": false,
                    "request_limits": {"max_body_size": 0, "max_header_size": 1024}}}
        """#)
        #expect(config.server == ServerConfig(
            host: "0.0.0.0", port: 65_535, readTimeout: .zero, writeTimeout: .zero, shutdownTimeout: .zero,
            requestLogging: false, requestLimits: RequestLimitsConfig(maxBodySize: 0, maxHeaderSize: 1_024)))
    }

    // MARK: proxy

    @Test(arguments: [
        (#"{"proxy": {"engine": "turbo"}}"#, #"config.json:1: proxy.engine: must be one of "olla", "sherpa", found "turbo""#),
        (#"{"proxy": {"profile": "buffered"}}"#, #"config.json:1: proxy.profile: must be one of "auto", "streaming", "standard", found "buffered""#),
        (#"{"proxy": {"load_balancer": "random"}}"#, #"config.json:1: proxy.load_balancer: must be one of "priority", "round-robin", "least-connections", "model-aware", "residency-aware", found "random""#),
        (#"{"proxy": {"load_balancer": "round robin"}}"#, #"config.json:1: proxy.load_balancer: must be one of "priority", "round-robin", "least-connections", "model-aware", "residency-aware", found "round robin"; did you mean "round-robin"?"#),
        (#"{"proxy": {"load_balancer": 1}}"#, #"config.json:1: proxy.load_balancer: expected one of "priority", "round-robin", "least-connections", "model-aware", "residency-aware", found number 1"#),
        (#"{"proxy": {"connection_timeout": "0s"}}"#, "config.json:1: proxy.connection_timeout: must be greater than 0, found 0s"),
        (#"{"proxy": {"response_timeout": "500ms"}}"#, "config.json:1: proxy.response_timeout: must be 0 (no limit) or at least 1s, found 500ms"),
        (#"{"proxy": {"read_timeout": "5 m"}}"#, #"config.json:1: proxy.read_timeout: invalid duration "5 m": unknown unit " m" (units: ns, us, ms, s, m, h)"#),
        (#"{"proxy": {"max_retries": 101}}"#, "config.json:1: proxy.max_retries: must be between 0 and 100, found 101"),
        (#"{"proxy": {"max_retries": -1}}"#, "config.json:1: proxy.max_retries: must be between 0 and 100, found -1"),
        (#"{"proxy": {"stream_buffer_size": 4095}}"#, "config.json:1: proxy.stream_buffer_size: must be between 4096 and 67108864, found 4095"),
        (#"{"proxy": {"stream_buffer_size": 67108865}}"#, "config.json:1: proxy.stream_buffer_size: must be between 4096 and 67108864, found 67108865"),
        (#"{"proxy": {"scheduler": {"default_load_time": "0s"}}}"#, "config.json:1: proxy.scheduler.default_load_time: must be greater than 0, found 0s"),
        (#"{"proxy": {"scheduler": {"queue_length": 0}}}"#, "config.json:1: proxy.scheduler.queue_length: must be between 1 and 100000, found 0"),
        (#"{"proxy": {"scheduler": {"queue_timeout": "0"}}}"#, "config.json:1: proxy.scheduler.queue_timeout: must be greater than 0, found 0s"),
        (#"{"proxy": {"scheduler": {"tier_max_wait": "-1s"}}}"#, #"config.json:1: proxy.scheduler.tier_max_wait: invalid duration "-1s": negative durations are not allowed"#),
        (#"{"proxy": {"scheduler": {"unload_victims": "yes"}}}"#, #"config.json:1: proxy.scheduler.unload_victims: expected true or false, found string "yes""#),
        (#"{"proxy": {"scheduler": {"queue_len": 5}}}"#, "config.json:1: proxy.scheduler.queue_len: unknown key (valid keys: default_load_time, queue_length, queue_timeout, tier_max_wait, unload_victims, batch_max_wait)"),
    ])
    func proxyRules(_ text: String, _ expected: String) {
        #expect(failure(text) == expected)
    }

    @Test(arguments: [
        ("priority", LoadBalancerKind.priority),
        ("round-robin", .roundRobin),
        ("round_robin", .roundRobin),
        ("least-connections", .leastConnections),
        ("model-aware", .modelAware),
        ("residency-aware", .residencyAware),
        ("least_conn", .leastConnections),
    ])
    func loadBalancerNamesAndAliases(_ name: String, _ expected: LoadBalancerKind) throws {
        #expect(try parse(#"{"proxy": {"load_balancer": "\#(name)"}}"#).proxy.loadBalancer == expected)
    }

    @Test func schedulerKeysAndEndpointCapacity() throws {
        let config = try parse(#"""
        {"proxy": {"scheduler": {"default_load_time": "1500ms", "queue_length": 8, "queue_timeout": "1m",
                                 "tier_max_wait": "0s", "unload_victims": false}},
         "discovery": {"static": {"endpoints": [
            {"name": "a", "url": "http://a", "type": "ollama", "num_parallel": 4, "max_loaded_models": 1}]}}}
        """#)
        #expect(config.proxy.scheduler == SchedulerSettings(
            defaultLoadTime: .milliseconds(1500), queueLength: 8, queueTimeout: .seconds(60), tierMaxWait: .zero,
            unloadVictims: false))
        #expect(try parse(#"{"proxy": {"scheduler": {"batch_max_wait": "2500ms"}}}"#).proxy.scheduler.batchMaxWait
            == .milliseconds(2500))
        #expect(failure(#"{"proxy": {"scheduler": {"batch_max_wait": 3}}}"#)
            == #"config.json:1: proxy.scheduler.batch_max_wait: expected a duration string such as "5s" or "500ms", found number 3"#)
        let endpoint = try #require(config.discovery.staticEndpoints.endpoints.first)
        #expect(endpoint.numParallel == 4 && endpoint.maxLoadedModels == 1)
        let base = #"{"discovery": {"static": {"endpoints": [{"name": "a", "url": "http://a", "type": "ollama", "#
        #expect(failure(base + #""num_parallel": 0}]}}}"#)
            == "config.json:1: discovery.static.endpoints[0].num_parallel: must be between 1 and 1024, found 0")
        #expect(failure(base + #""max_loaded_models": "3"}]}}}"#)
            == #"config.json:1: discovery.static.endpoints[0].max_loaded_models: expected an integer, found string "3""#)
    }

    @Test func proxyAcceptsCompatibilityKeysAndBoundaries() throws {
        let config = try parse(#"""
        {"proxy": {"engine": "sherpa", "profile": "streaming", "connection_timeout": "1ms",
                   "response_timeout": "0", "read_timeout": "0s", "max_retries": 100, "stream_buffer_size": 4096}}
        """#)
        #expect(config.proxy == ProxyConfig(
            engine: .sherpa, profile: .streaming, loadBalancer: .residencyAware, connectionTimeout: .milliseconds(1),
            responseTimeout: .zero, readTimeout: .zero, maxRetries: 100, streamBufferSize: 4_096))
        #expect(try parse(#"{"proxy": {"response_timeout": "1s"}}"#).proxy.responseTimeout == .seconds(1))
    }

    // MARK: discovery

    @Test(arguments: [
        (#"{"discovery": {"type": "consul"}}"#, #"config.json:1: discovery.type: must be one of "static", found "consul""#),
        (#"{"discovery": {"refresh_interval": "0s"}}"#, "config.json:1: discovery.refresh_interval: must be greater than 0, found 0s"),
        (#"{"discovery": {"static": {"endpoints": []}}}"#, "config.json:1: discovery.static.endpoints: must list at least one endpoint (omit 'endpoints' to use the local Ollama default)"),
        (#"{"discovery": {"static": {"endpoints": {}}}}"#, "config.json:1: discovery.static.endpoints: expected an array, found an object"),
        (#"{"discovery": {"static": {"endpoints": ["http://a"]}}}"#, #"config.json:1: discovery.static.endpoints[0]: expected an object, found string "http://a""#),
        (#"{"discovery": {"model_discovery": {"enabled": 1}}}"#, "config.json:1: discovery.model_discovery.enabled: expected true or false, found number 1"),
        (#"{"discovery": {"model_discovery": {"interval": "0s"}}}"#, "config.json:1: discovery.model_discovery.interval: must be greater than 0, found 0s"),
        (#"{"discovery": {"model_discovery": {"timeout": "0"}}}"#, "config.json:1: discovery.model_discovery.timeout: must be greater than 0, found 0s"),
    ])
    func discoveryRules(_ text: String, _ expected: String) {
        #expect(failure(text) == expected)
    }

    @Test func endpointRequiredKeys() {
        let base = #"{"discovery": {"static": {"endpoints": [{"#
        #expect(failure(base + #""url": "http://a", "type": "ollama"}]}}}"#)
            == "config.json:1: discovery.static.endpoints[0]: missing required key 'name'")
        #expect(failure(base + #""name": "a", "type": "ollama"}]}}}"#)
            == "config.json:1: discovery.static.endpoints[0]: missing required key 'url'")
        #expect(failure(base + #""name": "a", "url": "http://a"}]}}}"#)
            == "config.json:1: discovery.static.endpoints[0]: missing required key 'type'")
    }

    @Test func endpointNameRules() {
        #expect(failure(#"{"discovery": {"static": {"endpoints": [{"name": "", "url": "http://a", "type": "ollama"}]}}}"#)
            == "config.json:1: discovery.static.endpoints[0].name: must not be empty")
        #expect(failure(#"{"discovery": {"static": {"endpoints": [{"name": "gpu box", "url": "http://a", "type": "ollama"}]}}}"#)
            == #"config.json:1: discovery.static.endpoints[0].name: must not contain whitespace or control characters, found "gpu box""#)
        #expect(failure(#"{"discovery": {"static": {"endpoints": [{"name": "gpu\u0007", "url": "http://a", "type": "ollama"}]}}}"#)
            == #"config.json:1: discovery.static.endpoints[0].name: must not contain whitespace or control characters, found "gpu\u{7}""#)
    }

    @Test func duplicateEndpointNamesPointAtTheSecondName() {
        let text = """
        {
          "discovery": {
            "static": {
              "endpoints": [
                {
                  "name": "gpu",
                  "url": "http://10.0.0.5:11434",
                  "type": "ollama"
                },
                {
                  "url": "http://10.0.0.6:11434",
                  "name": "gpu",
                  "type": "ollama"
                }
              ]
            }
          }
        }
        """
        #expect(failure(text) == #"config.json:12: discovery.static.endpoints[1].name: duplicate endpoint name "gpu" (first used by endpoints[0])"#)
    }

    @Test(arguments: [
        (#", "type": "vllm""#, #"type: must be one of "ollama", "openai-compatible", found "vllm""#),
        (#", "type": "openai_compatible""#, #"type: must be one of "ollama", "openai-compatible", found "openai_compatible"; did you mean "openai-compatible"?"#),
        (#", "priority": -1"#, "priority: must be between 0 and 1000000, found -1"),
        (#", "priority": 1000001"#, "priority: must be between 0 and 1000000, found 1000001"),
        (#", "weight": 0"#, "weight: must be between 1 and 1000, found 0"),
        (#", "weight": 1001"#, "weight: must be between 1 and 1000, found 1001"),
        (#", "health_check_url": "health""#, #"health_check_url: invalid URL "health": must be a path starting with '/' or an absolute http:// or https:// URL"#),
        (#", "health_check_url": "//evil.example/x""#, #"health_check_url: invalid URL "//evil.example/x": must be a path starting with a single '/' or an absolute http:// or https:// URL"#),
        (#", "model_url": "/api/tags#x""#, #"model_url: invalid URL "/api/tags#x": must not contain a fragment ('#...')"#),
        (#", "model_url": "ftp://a/tags""#, #"model_url: invalid URL "ftp://a/tags": must be a path starting with '/' or an absolute http:// or https:// URL"#),
        (#", "model_url": "http:///tags""#, #"model_url: invalid URL "http:///tags": has no host"#),
        (#", "check_interval": "0s""#, "check_interval: must be greater than 0, found 0s"),
        (#", "check_timeout": "0s""#, "check_timeout: must be greater than 0, found 0s"),
        (#", "check_interval": "10s", "check_timeout": "10s""#, "check_timeout: must be shorter than check_interval (10s), found 10s"),
        (#", "check_timeout": "5s""#, "check_timeout: must be shorter than check_interval (5s), found 5s"),
        (#", "check_interval": "1s""#, "check_interval: must be longer than check_timeout (2s by default), found 1s"),
    ])
    func endpointRules(_ members: String, _ expected: String) {
        let text = endpoint(members).replacing(#""type": "ollama", "type""#, with: #""type""#)
        #expect(failure(text) == "config.json:1: discovery.static.endpoints[0]." + expected)
    }

    @Test func endpointAcceptsAllKeys() throws {
        let config = try parse(endpoint(#"""
        , "priority": 0, "weight": 1000, "health_check_url": "https://status.lan/health?deep=1",
          "model_url": "/api/tags", "check_interval": "30s", "check_timeout": "29.5s",
          "headers": {"Authorization": "Bearer abc", "X-Trace": ""}
        """#))
        let endpoint = try #require(config.discovery.staticEndpoints.endpoints.first)
        #expect(endpoint == EndpointConfig(
            name: "gpu", url: EndpointURL(scheme: .http, host: "10.0.0.5", port: 11_434), type: .ollama,
            priority: 0, weight: 1_000, healthCheckURL: "https://status.lan/health?deep=1", modelURL: "/api/tags",
            checkInterval: .seconds(30), checkTimeout: .milliseconds(29_500),
            headers: [EndpointHeader(name: "Authorization", value: "Bearer abc"), EndpointHeader(name: "X-Trace", value: "")]))
        #expect(endpoint.resolvedHealthCheckURL == "https://status.lan/health?deep=1")
        #expect(endpoint.resolvedModelURL == "http://10.0.0.5:11434/api/tags")
    }

    @Test(arguments: [
        (#"{"X Key": "a"}"#, #"headers["X Key"]: invalid header name "X Key": use letters, digits and !#$%&'*+-.^_`|~ only"#),
        (#"{"": "a"}"#, #"headers[""]: invalid header name "": use letters, digits and !#$%&'*+-.^_`|~ only"#),
        (#"{"X-Key": "a\r\nInjected: 1"}"#, "headers.X-Key: header value must not contain CR, LF or NUL characters"),
        (#"{"X-Key": 5}"#, "headers.X-Key: expected a string, found number 5"),
        (#"{"X-Key": "a", "x-key": "b"}"#, #"headers.x-key: duplicate header "x-key" (header names are case-insensitive; "X-Key" is already set)"#),
        (#"["X-Key: a"]"#, "headers: expected an object, found an array"),
    ])
    func headerRules(_ headers: String, _ expected: String) {
        #expect(failure(endpoint(#", "headers": \#(headers)"#)) == "config.json:1: discovery.static.endpoints[0]." + expected)
    }

    // MARK: model_registry and logging

    @Test(arguments: [
        (#"{"model_registry": {"type": "redis"}}"#, #"config.json:1: model_registry.type: must be one of "memory", found "redis""#),
        (#"{"model_registry": {"routing_strategy": {"type": "loose"}}}"#, #"config.json:1: model_registry.routing_strategy.type: must be one of "strict", "optimistic", found "loose""#),
        (#"{"logging": {"level": "verbose"}}"#, #"config.json:1: logging.level: must be one of "trace", "debug", "info", "warn", "error", found "verbose""#),
        (#"{"logging": {"level": "INFO"}}"#, #"config.json:1: logging.level: must be one of "trace", "debug", "info", "warn", "error", found "INFO"; did you mean "info"?"#),
        (#"{"logging": {"format": "yaml"}}"#, #"config.json:1: logging.format: must be one of "json", "logfmt", found "yaml""#),
        (#"{"logging": {"output": "file"}}"#, #"config.json:1: logging.output: must be one of "stdout", "stderr", found "file""#),
    ])
    func registryAndLoggingRules(_ text: String, _ expected: String) {
        #expect(failure(text) == expected)
    }

    @Test func registryAndLoggingAliases() throws {
        let config = try parse(#"""
        {"model_registry": {"type": "memory", "routing_strategy": {"type": "optimistic"}},
         "logging": {"level": "warning", "format": "text", "output": "stderr"}}
        """#)
        #expect(config.modelRegistry.routingStrategy.type == .optimistic)
        #expect(config.logging == LoggingConfig(level: .warn, format: .logfmt, output: .stderr))
        #expect(try parse(#"{"logging": {"level": "trace", "format": "logfmt"}}"#).logging.format == .logfmt)
        #expect(LogLevel.trace < LogLevel.error)
    }
}
