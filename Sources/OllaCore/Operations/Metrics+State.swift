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

/// Where one label set's values are in the tables a finished request updates
/// (`CappedTable` slots); nil: not known yet (time to first byte) or not recorded (the
/// endpoint table skips requests Olla answered itself).
struct RequestSlots: Sendable {
    var requests: Int
    var timeToFirstByte: Int?
    var duration: Int
    var responseBytes: Int
    var endpoint: Int?
    /// Found on the first request of the label set with token counts.
    var tokens: Int?
}

struct TokenTotals: Sendable {
    var prompt = 0
    var completion = 0
    var lastTokensPerSecond: Double?

    /// Adds one answer's counts; `evalDuration` is the backend's generation time, and when
    /// positive sets the generation speed to `completion / evalDuration`.
    mutating func add(prompt promptTokens: Int, completion completionTokens: Int, evalDuration: Duration) {
        prompt += max(0, promptTokens)
        completion += max(0, completionTokens)
        let seconds = evalDuration.seconds
        if seconds > 0 {
            lastTokensPerSecond = Double(max(0, completionTokens)) / seconds
        }
    }
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
        /// Where each label set seen lately is in the tables `recordRequest` writes.
        var requestSlots: [RequestLabels: RequestSlots] = [:]
        /// The last request's label set and its slots: under steady traffic the next request
        /// has the same labels, found by comparing them instead of hashing its three strings
        /// (~1 K instructions per request). Slots never move, so this is never stale. Kept
        /// apart and not optional, so the labels are compared where they lie (an optional
        /// tuple was copied out, its strings retained and released, to be compared).
        var lastLabels = RequestLabels(endpoint: "", model: "", route: "", status: .min)
        /// The slots of `lastLabels`; nil before the first request.
        var lastSlots: RequestSlots?
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
            bytesOut: Int64, timeToFirstByte ttfb: Duration?, duration elapsed: Duration, tokens usage: TokenUsage?
        ) {
            let failed = status < 100 || status >= 500
            totalRequests += 1
            if failed { failedRequests += 1 }
            // One hash of the labels for a label set seen before (none when it is the last
            // request's); the tables are then written through their slots.
            var slots: RequestSlots
            if let last = lastSlots, lastLabels.status == status, lastLabels.route == route,
               lastLabels.endpoint == endpoint, lastLabels.model == model {
                slots = last
            } else {
                let labels = RequestLabels(endpoint: endpoint, model: model, route: route, status: status)
                slots = requestSlots[labels] ?? resolveSlots(labels)
                lastLabels = labels
            }
            defer { lastSlots = slots }
            requests.update(slot: slots.requests) { $0 += 1 }
            if let ttfb {
                let slot = slots.timeToFirstByte ?? timeToFirstByte.slot(
                    for: LabelPair(endpoint, route), initial: { Histogram(upperBounds: Histogram.ttfbBounds) }, fold: Self.foldRoute)
                if slots.timeToFirstByte == nil {
                    slots.timeToFirstByte = slot
                    remember(slots, for: lastLabels)
                }
                timeToFirstByte.update(slot: slot) { $0.observe(ttfb.seconds) }
            }
            duration.update(slot: slots.duration) { $0.observe(elapsed.seconds) }
            responseBytes.update(slot: slots.responseBytes) { $0 += max(0, bytesOut) }
            if let endpointSlot = slots.endpoint {
                endpoints.update(slot: endpointSlot) {
                    $0.requests += 1
                    if failed { $0.failures += 1 }
                    $0.bytesOut += max(0, bytesOut)
                    $0.latency.record(elapsed)
                }
            }
            // After the request's own tables, as a separate `Metrics.tokens` call came after
            // them: the token table admits label sets in the same order.
            guard let usage else { return }
            let slot = slots.tokens ?? tokens.slot(for: LabelPair(endpoint, model), initial: { TokenTotals() }, fold: Self.foldSecond)
            if slots.tokens == nil {
                slots.tokens = slot
                remember(slots, for: lastLabels)
            }
            tokens.update(slot: slot) {
                $0.add(prompt: usage.promptTokens, completion: usage.completionTokens, evalDuration: usage.evalDuration ?? .zero)
            }
        }

        private static func foldRoute(_ key: LabelPair) -> LabelPair { LabelPair(key.first, Metrics.other) }

        /// The fold of the tables keyed by (endpoint, model): the model becomes `other`.
        static func foldSecond(_ key: LabelPair) -> LabelPair { LabelPair(key.first, Metrics.other) }

        /// Finds (or makes) the slots of a label set in every table `recordRequest` writes,
        /// as the tables fold it: the model, the label clients control, folds first;
        /// endpoints come from the configuration and routes are normalised by the caller,
        /// so both stay bounded. The time to first byte's slot is found on the first
        /// request with one (that table only holds label sets that had one).
        private mutating func resolveSlots(_ labels: RequestLabels) -> RequestSlots {
            let routeKey = LabelPair(labels.endpoint, labels.route)
            let window = latencyWindowSize
            let slots = RequestSlots(
                requests: requests.slot(for: labels, initial: { 0 }, fold: {
                    RequestLabels(endpoint: $0.endpoint, model: Metrics.other, route: $0.route, status: $0.status)
                }),
                timeToFirstByte: nil,
                duration: duration.slot(
                    for: routeKey, initial: { Histogram(upperBounds: Histogram.durationBounds) }, fold: Self.foldRoute),
                responseBytes: responseBytes.slot(for: labels.endpoint, initial: { 0 }, fold: { _ in Metrics.other }),
                endpoint: labels.endpoint == Metrics.none ? nil : endpoints.slot(
                    for: labels.endpoint, initial: { EndpointRequestStats(latency: LatencyWindow(capacity: window)) },
                    fold: { _ in Metrics.other }))
            remember(slots, for: labels)
            return slots
        }

        /// Keeps `slots` for the next request with `labels`, while the cache has room (it
        /// holds at most as many label sets as a table; beyond that, requests resolve theirs).
        private mutating func remember(_ slots: RequestSlots, for labels: RequestLabels) {
            guard requestSlots[labels] != nil || requestSlots.count < requests.capacity else { return }
            requestSlots[labels] = slots
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
