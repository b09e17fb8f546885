/// The JSON body of `GET /internal/status/activity` (docs/api.md): the last requests, a
/// summary of the last minute and the timeline series the fleet page draws.
public enum ActivityRenderer {
    /// The summary covers this many seconds before the newest complete bucket.
    public static let summarySeconds = 60

    /// Renders `snapshot` as seen at `now`. The timeline holds complete buckets only,
    /// oldest first, from Olla's start or the ring's oldest bucket, whichever is later.
    public static func activity(_ snapshot: FleetActivity.Snapshot, now: ContinuousClock.Instant) -> [UInt8] {
        let timeline = snapshot.timeline
        let current = timeline.bucketNumber(at: now)
        let newest = current - 1
        let buckets = timeline.buckets(endingWith: newest, count: min(current, timeline.bucketCount - 1))
        let newestEnd = timeline.origin + timeline.bucketWidth * current
        let perMinute = max(1, Int((Duration.seconds(summarySeconds) / timeline.bucketWidth).rounded(.up)))
        return JSONWriter().render(.makeObject([
            "bucket_ms": StatusRenderer.milliseconds(timeline.bucketWidth),
            "last_bucket_ago_ms": StatusRenderer.milliseconds(now - newestEnd),
            "last_minute": summary(Array(buckets.suffix(perMinute)), width: timeline.bucketWidth),
            "timeline": series(buckets, width: timeline.bucketWidth),
            "recent": .array(snapshot.recent.map { .synthesized(entry($0, now: now)) }),
        ]))
    }

    /// Rates and percentiles are taken over this many buckets ending at each point (10 s
    /// with 2-second buckets), so one slow request does not draw a spike; errors and cold
    /// loads are counts per bucket.
    public static let smoothingBuckets = 5

    private static func series(_ buckets: [ActivityTimeline.Bucket], width: Duration) -> JSONValue {
        let windows = buckets.indices.map { index in buckets[max(0, index - smoothingBuckets + 1)...index] }
        let seconds = windows.map { width.seconds * Double($0.count) }
        let latencies = windows.map { percentiles($0.flatMap(\.timeToFirstByte)) }
        return .makeObject([
            "requests_per_second": numbers(zip(windows, seconds).map { decimal(Double($0.reduce(0) { $0 + $1.requests }) / $1) }),
            "errors": numbers(buckets.map { .integer($0.errors) }),
            "cold_loads": numbers(buckets.map { .integer($0.coldLoads) }),
            "tokens_per_second": numbers(zip(windows, seconds).map { decimal($0.reduce(0) { $0 + $1.completionTokens } / $1) }),
            "ttfb_p50_ms": numbers(latencies.map { StatusRenderer.milliseconds($0.p50) }),
            "ttfb_p95_ms": numbers(latencies.map { StatusRenderer.milliseconds($0.p95) }),
        ])
    }

    private static func summary(_ buckets: [ActivityTimeline.Bucket], width: Duration) -> JSONValue {
        let seconds = max(width.seconds * Double(buckets.count), width.seconds)
        let requests = buckets.reduce(0) { $0 + $1.requests }
        let tokens = buckets.reduce(0) { $0 + $1.completionTokens }
        let latency = percentiles(buckets.flatMap(\.timeToFirstByte))
        return .makeObject([
            "seconds": .integer(Int(seconds.rounded())),
            "requests": .integer(requests),
            "errors": .integer(buckets.reduce(0) { $0 + $1.errors }),
            "cold_loads": .integer(buckets.reduce(0) { $0 + $1.coldLoads }),
            "requests_per_second": decimal(Double(requests) / seconds),
            "tokens_per_second": decimal(tokens / seconds),
            "ttfb_p50_ms": StatusRenderer.milliseconds(latency.p50),
            "ttfb_p95_ms": StatusRenderer.milliseconds(latency.p95),
        ])
    }

    private static func entry(_ entry: FleetActivity.Entry, now: ContinuousClock.Instant) -> JSONValue {
        let request = entry.request
        let usage = request.usage
        return .makeObject([
            "sequence": .integer(entry.sequence),
            "ago_ms": StatusRenderer.milliseconds(max(.zero, now - entry.finishedAt)),
            "request_id": optional(request.requestID),
            "method": .string(request.method),
            "route": .string(request.route),
            "model": optional(request.model),
            "endpoint": optional(request.endpoint),
            "status": .integer(request.status),
            "ttfb_ms": StatusRenderer.milliseconds(request.timeToFirstByte),
            "duration_ms": StatusRenderer.milliseconds(request.duration),
            "prompt_tokens": usage.map { .integer($0.promptTokens) } ?? .null,
            "completion_tokens": usage.map { .integer($0.completionTokens) } ?? .null,
            "tokens_per_second": request.tokensPerSecond.map(decimal) ?? .null,
            "load_ms": StatusRenderer.milliseconds(usage?.loadDuration),
            "cold_load": .bool(request.coldLoad),
            "decision": optional(request.decision),
            "reason": optional(request.reason),
        ])
    }

    /// Nearest-rank p50 and p95 (as `LatencyWindow` computes them); nil for no samples.
    private static func percentiles(_ samples: [Duration]) -> (p50: Duration?, p95: Duration?) {
        var window = LatencyWindow(capacity: max(1, samples.count))
        for sample in samples { window.record(sample) }
        let values = window.percentiles([0.5, 0.95])
        return (values[0], values[1])
    }

    private static func numbers(_ values: [JSONValue]) -> JSONValue {
        .array(values.map { .synthesized($0) })
    }

    private static func optional(_ text: String?) -> JSONValue {
        text.map(JSONValue.string) ?? .null
    }

    /// A non-negative value with at most two decimals (`12`, `0.5`, `3.14`).
    static func decimal(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .null }
        let hundredths = Int64((max(0, value) * 100).rounded())
        let whole = hundredths / 100, cents = hundredths % 100
        let text = cents == 0 ? "\(whole)" : cents % 10 == 0 ? "\(whole).\(cents / 10)" : "\(whole).\(cents < 10 ? "0" : "")\(cents)"
        return .number(JSONNumber(text: text))
    }
}
