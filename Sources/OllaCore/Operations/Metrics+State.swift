/// Two label values, the key of most metric families.
struct LabelPair: Hashable, Sendable, Comparable {
    var first: String
    var second: String

    init(_ first: String, _ second: String) {
        self.first = first
        self.second = second
    }

    static func < (lhs: LabelPair, rhs: LabelPair) -> Bool {
        (lhs.first, lhs.second) < (rhs.first, rhs.second)
    }
}

/// The labels of `olla_requests_total`.
struct RequestLabels: Hashable, Sendable {
    var endpoint: String
    var model: String
    var route: String
    var status: Int
}

struct TokenTotals: Sendable {
    var prompt = 0
    var completion = 0
    var lastTokensPerSecond: Double?
}

extension Metrics {
    /// Everything the registry holds, guarded by its mutex.
    struct State: Sendable {
        var requests: CappedTable<RequestLabels, Int>
        var timeToFirstByte: CappedTable<LabelPair, Histogram>
        var duration: CappedTable<LabelPair, Histogram>
        var responseBytes: CappedTable<String, Int64>
        var failovers: CappedTable<LabelPair, Int>
        var tokens: CappedTable<LabelPair, TokenTotals>
        var endpoints: CappedTable<String, EndpointRequestStats>
        var rejections: [RejectionReason: Int] = [:]
        var coldLoads: CappedTable<String, Int>
        var waitEstimateError = Histogram(upperBounds: Histogram.waitErrorBounds)
        var inFlight = 0
        var totalRequests = 0
        var failedRequests = 0
        let latencyWindowSize: Int

        init(capacity: Int, latencyWindowSize: Int) {
            requests = CappedTable(capacity: capacity)
            timeToFirstByte = CappedTable(capacity: capacity)
            duration = CappedTable(capacity: capacity)
            responseBytes = CappedTable(capacity: capacity)
            failovers = CappedTable(capacity: capacity)
            tokens = CappedTable(capacity: capacity)
            endpoints = CappedTable(capacity: capacity)
            coldLoads = CappedTable(capacity: capacity)
            self.latencyWindowSize = latencyWindowSize
        }

        mutating func recordRequest(
            endpoint: String, model: String, route: String, status: Int,
            bytesOut: Int64, timeToFirstByte ttfb: Duration?, duration elapsed: Duration
        ) {
            let failed = status < 100 || status >= 500
            totalRequests += 1
            if failed { failedRequests += 1 }
            // Fold the model, the label clients control; endpoints come from the
            // configuration and routes are normalised by the caller, so both stay bounded.
            requests.update(RequestLabels(endpoint: endpoint, model: model, route: route, status: status), initial: 0, fold: {
                RequestLabels(endpoint: $0.endpoint, model: Metrics.other, route: $0.route, status: $0.status)
            }) { $0 += 1 }
            let routeKey = LabelPair(endpoint, route)
            let foldRoute: (LabelPair) -> LabelPair = { LabelPair($0.first, Metrics.other) }
            if let ttfb {
                timeToFirstByte.update(routeKey, initial: Histogram(upperBounds: Histogram.ttfbBounds), fold: foldRoute) {
                    $0.observe(ttfb.seconds)
                }
            }
            duration.update(routeKey, initial: Histogram(upperBounds: Histogram.durationBounds), fold: foldRoute) {
                $0.observe(elapsed.seconds)
            }
            responseBytes.update(endpoint, initial: 0, fold: { _ in Metrics.other }) { $0 += max(0, bytesOut) }
            guard endpoint != Metrics.none else { return }
            let window = latencyWindowSize
            endpoints.update(endpoint, initial: EndpointRequestStats(latency: LatencyWindow(capacity: window)), fold: { _ in Metrics.other }) {
                $0.requests += 1
                if failed { $0.failures += 1 }
                $0.bytesOut += max(0, bytesOut)
                $0.latency.record(elapsed)
            }
        }

        func snapshot() -> MetricsSnapshot {
            var snapshot = MetricsSnapshot(
                requests: requests.values
                    .map { .init(endpoint: $0.key.endpoint, model: $0.key.model, route: $0.key.route, status: $0.key.status, count: $0.value) }
                    .sorted { ($0.endpoint, $0.model, $0.route, $0.status) < ($1.endpoint, $1.model, $1.route, $1.status) },
                inFlight: inFlight,
                timeToFirstByte: Self.histograms(timeToFirstByte),
                duration: Self.histograms(duration),
                responseBytes: responseBytes.values.sorted { $0.key < $1.key }.map { (endpoint: $0.key, bytes: $0.value) },
                failovers: failovers.values.sorted { $0.key < $1.key }
                    .map { .init(endpoint: $0.key.first, reason: $0.key.second, count: $0.value) },
                rejections: RejectionReason.allCases.map { (reason: $0, count: rejections[$0] ?? 0) },
                tokens: tokens.values.sorted { $0.key < $1.key }.map {
                    .init(endpoint: $0.key.first, model: $0.key.second, prompt: $0.value.prompt,
                          completion: $0.value.completion, lastTokensPerSecond: $0.value.lastTokensPerSecond)
                },
                endpoints: endpoints.values,
                totalRequests: totalRequests,
                failedRequests: failedRequests
            )
            snapshot.coldLoads = coldLoads.values.sorted { $0.key < $1.key }.map { (endpoint: $0.key, count: $0.value) }
            snapshot.waitEstimateError = waitEstimateError
            return snapshot
        }

        private static func histograms(_ table: CappedTable<LabelPair, Histogram>) -> [MetricsSnapshot.RouteHistogram] {
            table.values.sorted { $0.key < $1.key }.map { .init(endpoint: $0.key.first, route: $0.key.second, histogram: $0.value) }
        }
    }
}
