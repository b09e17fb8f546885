/// The compact JSON bodies of Olla's own status routes. Field names are snake_case and
/// documented in docs/operations.md; durations are whole milliseconds, rates percent.
public enum StatusRenderer {
    /// `GET /internal/health`: `{"status":"healthy"}`. It says the process answers; it
    /// does not reflect the backends (see `status(...)`).
    public static func health() -> [UInt8] {
        render(.makeObject(["status": .string("healthy")]))
    }

    /// `GET /version`: `{"name":"olla","version":"…","build":"swift"}`.
    public static func version(_ version: String = OllaVersion.string) -> [UInt8] {
        render(.makeObject(["name": .string("olla"), "version": .string(version), "build": .string("swift")]))
    }

    /// `GET /internal/status`: an overview.
    ///
    /// `status` is `healthy` when every endpoint is healthy, `unhealthy` when none is
    /// routable, `degraded` otherwise.
    public static func status(
        version: String = OllaVersion.string, uptime: Duration, endpoints: [EndpointStatusRow],
        metrics: MetricsSnapshot, modelCount: Int
    ) -> [UInt8] {
        let counts = EndpointCounts(endpoints)
        let successRate: Double? = metrics.totalRequests == 0
            ? nil : Double(metrics.totalRequests - metrics.failedRequests) / Double(metrics.totalRequests)
        let seconds = max(0, uptime.components.seconds)
        return render(.makeObject([
            "status": .string(counts.overall),
            "version": .string(version),
            "uptime": .string(humanDuration(seconds: seconds)),
            "uptime_seconds": .integer(Int(seconds)),
            "endpoints": .makeObject([
                "total": .integer(counts.total), "healthy": .integer(counts.healthy), "routable": .integer(counts.routable),
            ]),
            "requests": .makeObject([
                "total": .integer(metrics.totalRequests),
                "failed": .integer(metrics.failedRequests),
                "success_rate": percent(successRate),
                "in_flight": .integer(metrics.inFlight),
            ]),
            "models": .makeObject(["total": .integer(modelCount)]),
        ]))
    }

    /// `GET /internal/status/endpoints`: one object per row, in the given order.
    /// `timestamp`, when given (RFC 3339 text from the caller's wall clock), is included.
    public static func endpoints(_ rows: [EndpointStatusRow], timestamp: String? = nil) -> [UInt8] {
        let counts = EndpointCounts(rows)
        var members: [JSONMember] = []
        if let timestamp {
            members.append(member("timestamp", .string(timestamp)))
        }
        members += [
            member("total_count", .integer(counts.total)),
            member("healthy_count", .integer(counts.healthy)),
            member("routable_count", .integer(counts.routable)),
            member("endpoints", .array(rows.map { .synthesized(endpoint($0)) })),
        ]
        return render(.object(members))
    }

    /// `GET /internal/status/models`: every model of the catalogue (one per canonical
    /// name, sorted by name) with the endpoints that have it and those that have it loaded.
    public static func models(_ catalogue: Catalogue) -> [UInt8] {
        render(modelsValue(catalogue))
    }

    static func modelsValue(_ catalogue: Catalogue) -> JSONValue {
        var seen: Set<String> = []
        var names: [String] = []
        for entry in catalogue.models where seen.insert(ModelName.canonical(entry.name)).inserted {
            names.append(entry.name)
        }
        names.sort()
        let models = names.map { name in
            JSONNode.synthesized(.makeObject([
                "name": .string(name),
                "endpoints": strings(catalogue.holders(of: name)),
                "loaded_on": strings(catalogue.loadedOn(name)),
            ]))
        }
        return .makeObject(["total": .integer(names.count), "models": .array(models)])
    }

    /// One element of the endpoints list.
    static func endpoint(_ row: EndpointStatusRow) -> JSONValue {
        .makeObject([
            "name": .string(row.name),
            "url": .string(row.url),
            "type": .string(row.type),
            "status": .string(row.state.rawValue),
            "routable": .bool(row.routable),
            "priority": .integer(row.priority),
            "weight": .integer(row.weight),
            "model_count": .integer(row.models.count),
            "models": strings(row.models),
            "loaded_models": strings(row.loadedModels),
            "loaded": .array(row.loaded.map { .synthesized(loaded($0)) }),
            "version": row.version.map(JSONValue.string) ?? .null,
            "in_flight": .integer(row.inFlight),
            "request_count": .integer(row.requests),
            "success_rate": percent(row.successRate),
            "latency_p50_ms": milliseconds(row.latencyP50),
            "latency_p95_ms": milliseconds(row.latencyP95),
            "latency_p99_ms": milliseconds(row.latencyP99),
            "last_check_ago_ms": milliseconds(row.lastCheckedAgo),
            "next_check_in_ms": milliseconds(row.nextCheckIn),
            "last_error": row.lastError.map(JSONValue.string) ?? .null,
        ])
    }

    /// One loaded model: its name, memory in bytes (total and in VRAM) and when the
    /// backend will unload it (RFC 3339, as the backend wrote it); null where not reported.
    static func loaded(_ model: LoadedModel) -> JSONValue {
        .makeObject([
            "name": .string(model.name),
            "size": model.size.map(JSONValue.integer) ?? .null,
            "size_vram": model.sizeVRAM.map(JSONValue.integer) ?? .null,
            "expires_at": model.expiresAt.map(JSONValue.string) ?? .null,
            "context_length": model.contextLength.map(JSONValue.integer) ?? .null,
        ])
    }

    /// `"45s"`, `"3m12s"`, `"2h3m"`, `"4d7h"`: the two largest units, for people.
    public static func humanDuration(seconds: Int64) -> String {
        let days = seconds / 86_400, hours = seconds / 3_600 % 24, minutes = seconds / 60 % 60, rest = seconds % 60
        if days > 0 { return "\(days)d\(hours)h" }
        if hours > 0 { return "\(hours)h\(minutes)m" }
        if minutes > 0 { return "\(minutes)m\(rest)s" }
        return "\(rest)s"
    }

    private struct EndpointCounts {
        var total = 0, healthy = 0, routable = 0

        init(_ rows: [EndpointStatusRow]) {
            total = rows.count
            healthy = rows.count { $0.state == .healthy }
            routable = rows.count(where: \.routable)
        }

        var overall: String {
            if routable == 0 { return "unhealthy" }
            return healthy == total ? "healthy" : "degraded"
        }
    }

    private static func render(_ value: JSONValue) -> [UInt8] {
        JSONWriter().render(value)
    }

    private static func member(_ key: String, _ value: JSONValue) -> JSONMember {
        JSONMember(key: key, keyPosition: .synthesized, node: .synthesized(value))
    }

    private static func strings(_ values: [String]) -> JSONValue {
        .array(values.map { .synthesized(.string($0)) })
    }

    /// Whole milliseconds, rounded toward zero; null when unknown.
    static func milliseconds(_ duration: Duration?) -> JSONValue {
        guard let duration else { return .null }
        let (seconds, attoseconds) = duration.components
        return .number(JSONNumber(text: String(seconds * 1_000 + attoseconds / 1_000_000_000_000_000)))
    }

    /// A fraction 0...1 as a percentage with two decimals (`99.5`); null when unknown.
    static func percent(_ fraction: Double?) -> JSONValue {
        guard let fraction, fraction.isFinite else { return .null }
        let hundredths = Int64((fraction * 10_000).rounded())
        let whole = hundredths / 100, cents = hundredths % 100
        let text = cents == 0 ? "\(whole)" : cents % 10 == 0 ? "\(whole).\(cents / 10)" : "\(whole).\(cents < 10 ? "0" : "")\(cents)"
        return .number(JSONNumber(text: text))
    }
}
