/// The `discovery.static` section: a fixed, non-empty list of backends.
public struct StaticDiscoveryConfig: Sendable, Equatable {
    /// `endpoints`: the backends, with unique names. Never empty.
    public var endpoints: [EndpointConfig]

    /// Creates a static endpoint list. Defaults to one local Ollama.
    public init(endpoints: [EndpointConfig] = [.localOllama]) {
        self.endpoints = endpoints
    }

    /// The configuration used when the section is absent: Ollama on localhost:11434.
    public static let defaults = StaticDiscoveryConfig()
}
