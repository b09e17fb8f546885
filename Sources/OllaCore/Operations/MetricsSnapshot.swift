/// A consistent copy of everything `Metrics` has recorded, for rendering. Every list is
/// sorted by its labels, so output is stable between scrapes.
public struct MetricsSnapshot: Sendable, Equatable {
    /// `olla_requests_total{endpoint,model,route,status}`.
    public struct RequestCount: Sendable, Equatable {
        /// The endpoint that answered, or `none` when Olla answered itself.
        public var endpoint: String
        /// The model the request named, or `none`.
        public var model: String
        /// The route label (`MetricsRoute`).
        public var route: String
        /// The HTTP status sent.
        public var status: Int
        /// Requests with these labels.
        public var count: Int
    }

    /// A histogram labelled `{endpoint,route}`.
    public struct RouteHistogram: Sendable, Equatable {
        /// The endpoint that answered, or `none` when Olla answered itself.
        public var endpoint: String
        /// The route label (`MetricsRoute`).
        public var route: String
        /// The observations, in seconds.
        public var histogram: Histogram
    }

    /// `olla_failovers_total{endpoint,reason}`.
    public struct FailoverCount: Sendable, Equatable {
        /// The endpoint an attempt failed on.
        public var endpoint: String
        /// Why (`connect_failed`, `status_503`, ...).
        public var reason: String
        /// Failovers with these labels.
        public var count: Int
    }

    /// Token counters and the last observed generation speed of one endpoint and model.
    public struct TokenCount: Sendable, Equatable {
        /// The endpoint that generated the tokens.
        public var endpoint: String
        /// The model that generated them.
        public var model: String
        /// Prompt tokens evaluated.
        public var prompt: Int
        /// Completion tokens generated.
        public var completion: Int
        /// Completion tokens per second of the last response that reported timing.
        public var lastTokensPerSecond: Double?
    }

    /// `olla_requests_total`, one entry per label set.
    public var requests: [RequestCount]
    /// Requests currently being handled.
    public var inFlight: Int
    /// `olla_time_to_first_byte_seconds` per endpoint and route.
    public var timeToFirstByte: [RouteHistogram]
    /// `olla_request_duration_seconds` per endpoint and route.
    public var duration: [RouteHistogram]
    /// `olla_response_bytes_total{endpoint}`, by endpoint label.
    public var responseBytes: [(endpoint: String, bytes: Int64)]
    /// `olla_failovers_total`, one entry per label set.
    public var failovers: [FailoverCount]
    /// Every reason, zero included, in declaration order.
    public var rejections: [(reason: RejectionReason, count: Int)]
    /// Token counters per endpoint and model.
    public var tokens: [TokenCount]
    /// Per-endpoint counters and latency windows, by endpoint name.
    public var endpoints: [String: EndpointRequestStats]
    /// All completed requests, and the failed ones (5xx or no status).
    public var totalRequests: Int
    /// Completed requests that failed (5xx or no status).
    public var failedRequests: Int
    /// `olla_scheduler_cold_loads_total{endpoint}`: requests the scheduler sent whose final
    /// chunk reported a model load.
    public var coldLoads: [(endpoint: String, count: Int)] = []
    /// `olla_scheduler_wait_error_seconds`: |estimated − actual| time to first byte of
    /// scheduled requests.
    public var waitEstimateError = Histogram(upperBounds: Histogram.waitErrorBounds)

    /// Every field equal; written out because the labelled-tuple lists cannot be `Equatable`.
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
