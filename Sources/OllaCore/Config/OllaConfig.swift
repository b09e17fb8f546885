/// Olla's complete configuration, read from a JSON file whose keys follow Go Olla's
/// YAML configuration (snake_case, same sections).
///
/// Every key is optional and missing sections take their defaults, so `{}` is a valid
/// configuration that proxies `localhost:40114` to a local Ollama on port 11434.
/// Unknown keys are errors: a typo must not silently fall back to a default.
public struct OllaConfig: Sendable, Equatable {
    /// `server`: the listening side.
    public var server: ServerConfig
    /// `proxy`: forwarding behaviour and timeouts.
    public var proxy: ProxyConfig
    /// `discovery`: the backends.
    public var discovery: DiscoveryConfig
    /// `model_registry`: model-to-endpoint routing.
    public var modelRegistry: ModelRegistryConfig
    /// `logging`: log level, format and destination.
    public var logging: LoggingConfig

    /// Creates a configuration; every section defaults to its documented defaults.
    public init(
        server: ServerConfig = .defaults,
        proxy: ProxyConfig = .defaults,
        discovery: DiscoveryConfig = .defaults,
        modelRegistry: ModelRegistryConfig = .defaults,
        logging: LoggingConfig = .defaults
    ) {
        self.server = server
        self.proxy = proxy
        self.discovery = discovery
        self.modelRegistry = modelRegistry
        self.logging = logging
    }

    /// The configuration used when no file is given.
    public static let defaults = OllaConfig()
}
