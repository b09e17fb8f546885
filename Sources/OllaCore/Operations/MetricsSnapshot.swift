/// A consistent copy of everything `Metrics` has recorded, for rendering. Every list is
/// sorted by its labels, so output is stable between scrapes.
public struct MetricsSnapshot: Sendable, Equatable {
    /// `olla_requests_total{endpoint,model,route,status}`.
    public struct RequestCount: Sendable, Equatable {
        public var endpoint: String
        public var model: String
        public var route: String
        public var status: Int
        public var count: Int
    }

    /// A histogram labelled `{endpoint,route}`.
    public struct RouteHistogram: Sendable, Equatable {
        public var endpoint: String
        public var route: String
        public var histogram: Histogram
    }

    /// `olla_failovers_total{endpoint,reason}`.
    public struct FailoverCount: Sendable, Equatable {
        public var endpoint: String
        public var reason: String
        public var count: Int
    }

    /// Token counters and the last observed generation speed of one endpoint and model.
    public struct TokenCount: Sendable, Equatable {
        public var endpoint: String
        public var model: String
        public var prompt: Int
        public var completion: Int
        /// Completion tokens per second of the last response that reported timing.
        public var lastTokensPerSecond: Double?
    }

    public var requests: [RequestCount]
    /// Requests currently being handled.
    public var inFlight: Int
    public var timeToFirstByte: [RouteHistogram]
    public var duration: [RouteHistogram]
    /// `olla_response_bytes_total{endpoint}`, by endpoint label.
    public var responseBytes: [(endpoint: String, bytes: Int64)]
    public var failovers: [FailoverCount]
    /// Every reason, zero included, in declaration order.
    public var rejections: [(reason: RejectionReason, count: Int)]
    public var tokens: [TokenCount]
    /// Per-endpoint counters and latency windows, by endpoint name.
    public var endpoints: [String: EndpointRequestStats]
    /// All completed requests, and the failed ones (5xx or no status).
    public var totalRequests: Int
    public var failedRequests: Int
    /// `olla_scheduler_cold_loads_total{endpoint}`: requests the scheduler sent whose final
    /// chunk reported a model load.
    public var coldLoads: [(endpoint: String, count: Int)] = []
    /// `olla_scheduler_wait_error_seconds`: |estimated − actual| time to first byte of
    /// scheduled requests.
    public var waitEstimateError = Histogram(upperBounds: Histogram.waitErrorBounds)

    public static func == (lhs: MetricsSnapshot, rhs: MetricsSnapshot) -> Bool {
        lhs.requests == rhs.requests && lhs.inFlight == rhs.inFlight && lhs.timeToFirstByte == rhs.timeToFirstByte
            && lhs.duration == rhs.duration && lhs.responseBytes.elementsEqual(rhs.responseBytes, by: ==)
            && lhs.failovers == rhs.failovers && lhs.rejections.elementsEqual(rhs.rejections, by: ==)
            && lhs.tokens == rhs.tokens && lhs.endpoints == rhs.endpoints
            && lhs.totalRequests == rhs.totalRequests && lhs.failedRequests == rhs.failedRequests
            && lhs.coldLoads.elementsEqual(rhs.coldLoads, by: ==) && lhs.waitEstimateError == rhs.waitEstimateError
    }

    /// Stats for `endpoint`, or empty stats when it has served nothing.
    public func stats(for endpoint: String) -> EndpointRequestStats {
        endpoints[endpoint] ?? EndpointRequestStats()
    }
}
