/// The `discovery.model_discovery` section: periodic listing of each endpoint's
/// models (used by model routing across instances).
public struct ModelDiscoveryConfig: Sendable, Equatable {
    /// `enabled`: whether models are listed at all. Default true.
    public var enabled: Bool
    /// `interval`: how often each endpoint's model list is fetched; greater than 0. Default 5m.
    public var interval: Duration
    /// `timeout`: the longest one model-list request may take; greater than 0. Default 30s.
    public var timeout: Duration

    /// Creates a model discovery configuration; every parameter defaults to the documented default.
    public init(enabled: Bool = true, interval: Duration = .seconds(300), timeout: Duration = .seconds(30)) {
        self.enabled = enabled
        self.interval = interval
        self.timeout = timeout
    }

    /// The configuration used when the section is absent.
    public static let defaults = ModelDiscoveryConfig()
}
