import Synchronization

/// The daemon's metrics registry: counters, gauges and histograms recorded from any
/// thread, read back with `snapshot()` for `/internal/metrics` and the status pages.
///
/// Label cardinality is bounded: each metric family keeps at most `maxLabelSets`
/// distinct label sets; further new ones are folded (model, then route, become
/// `"other"`). Callers pass normalised routes (`"/api/chat"`, not raw targets). A
/// missing endpoint or model is recorded as `"none"`.
public final class Metrics: Sendable {
    /// The default cap on label sets per metric family.
    public static let defaultMaxLabelSets = 1_000
    /// The label value for a missing endpoint or model.
    public static let none = "none"
    /// The label value label sets are folded into once a family is full.
    public static let other = "other"

    private let state: Mutex<State>

    /// Creates an empty registry.
    public init(maxLabelSets: Int = Metrics.defaultMaxLabelSets, latencyWindowSize: Int = 512) {
        state = Mutex(State(capacity: max(1, maxLabelSets), latencyWindowSize: latencyWindowSize))
    }

    /// Records a finished request (proxied or answered locally).
    ///
    /// - Parameters:
    ///   - endpoint: The endpoint that answered; nil when Olla answered itself.
    ///   - model: The requested model, if any.
    ///   - route: The normalised route, e.g. `"/api/chat"`.
    ///   - status: The HTTP status sent; 499 when the client left first.
    ///   - bytesOut: Response body bytes sent to the client.
    ///   - timeToFirstByte: From request start to the first response byte, if one was sent.
    ///   - duration: From request start to the end of the response.
    ///   - tokens: The token usage the answer reported, recorded as `tokens(endpoint:…)`
    ///     records it (under `model`, or `"none"`) when `endpoint` is not nil: with the
    ///     request's other metrics, under one lock and without hashing its labels again.
    public func requestCompleted(
        endpoint: String?, model: String?, route: String, status: Int,
        bytesOut: Int64, timeToFirstByte: Duration?, duration: Duration, tokens: TokenUsage? = nil
    ) {
        state.withLock { state in
            state.recordRequest(
                endpoint: endpoint ?? Self.none, model: model ?? Self.none, route: route, status: status,
                bytesOut: bytesOut, timeToFirstByte: timeToFirstByte, duration: duration,
                tokens: endpoint == nil ? nil : tokens)
        }
    }

    /// Adjusts the number of requests in flight: `+1` when one starts, `-1` when it ends.
    public func inFlight(_ delta: Int) {
        state.withLock { $0.inFlight += delta }
    }

    /// Records that a request left `endpoint` for another one, and why (a short fixed
    /// word such as `"connection"`, `"status_503"`, `"timeout"`).
    public func failover(from endpoint: String, reason: String) {
        state.withLock { state in
            state.failovers.update(
                LabelPair(endpoint, reason), initial: 0, fold: { LabelPair($0.first, Self.other) }
            ) { $0 += 1 }
        }
    }

    /// Records a request Olla refused itself.
    public func rejected(reason: RejectionReason) {
        state.withLock { $0.rejections[reason, default: 0] += 1 }
    }

    /// Records the token usage a response reported (see `TokenScanner`).
    /// `evalDuration` is the backend's generation time; when positive, the generation
    /// speed gauge is set to `completionTokens / evalDuration`.
    public func tokens(endpoint: String, model: String, promptTokens: Int, completionTokens: Int, evalDuration: Duration) {
        state.withLock { state in
            let slot = state.tokens.slot(for: LabelPair(endpoint, model), initial: { TokenTotals() }, fold: State.foldSecond)
            state.tokens.update(slot: slot) {
                $0.add(prompt: promptTokens, completion: completionTokens, evalDuration: evalDuration)
            }
        }
    }

    /// Records a request the `residency-aware` scheduler placed: whether its final chunk
    /// reported a model load, and its estimated (seconds) against its actual time to first byte.
    public func scheduled(endpoint: String, coldLoad: Bool, estimatedWait: Double?, timeToFirstByte: Duration?) {
        state.withLock { state in
            if coldLoad {
                state.coldLoads.update(endpoint, initial: 0, fold: { _ in Self.other }) { $0 += 1 }
            }
            if let estimatedWait, let timeToFirstByte {
                state.waitEstimateError.observe(abs(estimatedWait - timeToFirstByte.seconds))
            }
        }
    }

    /// Counters and latency window of one endpoint.
    public func endpointStats(_ endpoint: String) -> EndpointRequestStats {
        state.withLock { $0.endpoints.value(for: endpoint) } ?? EndpointRequestStats()
    }

    /// A consistent copy of every metric.
    public func snapshot() -> MetricsSnapshot {
        state.withLock { $0.snapshot() }
    }
}
