/// Request counters and recent latency percentiles of one endpoint, from `Metrics`.
public struct EndpointRequestStats: Sendable, Equatable {
    /// Requests completed against the endpoint.
    public var requests: Int
    /// Of those, how many failed (status 5xx, or no status at all).
    public var failures: Int
    /// Response bytes sent to clients from this endpoint.
    public var bytesOut: Int64
    /// Recent request durations (see `LatencyWindow`).
    public var latency: LatencyWindow

    /// Creates stats; the defaults are an endpoint no request has reached yet.
    public init(requests: Int = 0, failures: Int = 0, bytesOut: Int64 = 0, latency: LatencyWindow = LatencyWindow()) {
        self.requests = requests
        self.failures = failures
        self.bytesOut = bytesOut
        self.latency = latency
    }

    /// Successful requests as a fraction 0...1; nil before the first request.
    public var successRate: Double? {
        requests == 0 ? nil : Double(requests - failures) / Double(requests)
    }

    /// The 50th, 95th and 99th percentile of recent request durations.
    public var latencyPercentiles: (p50: Duration?, p95: Duration?, p99: Duration?) {
        let values = latency.percentiles([0.5, 0.95, 0.99])
        return (values[0], values[1], values[2])
    }
}
