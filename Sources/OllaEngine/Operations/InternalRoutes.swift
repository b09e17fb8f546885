import OllaCore

/// Olla's own routes: health, status, metrics and version. They are small and answered
/// from memory, so monitoring keeps working when every backend is down.
enum InternalRoutes {
    enum Route {
        case health, status, endpoints, models, metrics, version

        /// Health and version stay open with API keys on: load balancers and the CLI's
        /// checks cannot authenticate.
        var isOpen: Bool { self == .health || self == .version }
    }

    static func route(method: String, rawTarget: String) -> Route? {
        guard method == "GET" || method == "HEAD" else { return nil }
        switch rawTarget.pathBeforeQuery {
        case "/internal/health": return .health
        case "/internal/status": return .status
        case "/internal/status/endpoints": return .endpoints
        case "/internal/status/models": return .models
        case "/internal/metrics": return .metrics
        case "/version": return .version
        default: return nil
        }
    }

    static func answer(_ route: Route, registry: EndpointRegistry, metrics: Metrics, startedAt: ContinuousClock.Instant) -> LocalResponse {
        switch route {
        case .health: return json(StatusRenderer.health())
        case .version: return json(StatusRenderer.version())
        case .status:
            let snapshot = registry.snapshot
            return json(StatusRenderer.status(
                uptime: .now - startedAt, endpoints: rows(registry, metrics), metrics: metrics.snapshot(),
                modelCount: snapshot.catalogue.models.count))
        case .endpoints: return json(StatusRenderer.endpoints(rows(registry, metrics)))
        case .models:
            return json(StatusRenderer.models(registry.snapshot.catalogue, scheduler: registry.scheduler.snapshot,
                                              held: registry.scheduler.heldCounts, now: .now))
        case .metrics:
            let text = PrometheusRenderer.render(metrics: metrics.snapshot(), endpoints: rows(registry, metrics))
            return LocalResponse(status: 200, headers: [("Content-Type", PrometheusRenderer.contentType)], body: Array(text.utf8))
        }
    }

    static func rows(_ registry: EndpointRegistry, _ metrics: Metrics) -> [EndpointStatusRow] {
        let snapshot = registry.snapshot
        let now = ContinuousClock.now
        return registry.endpoints.compactMap { config in
            guard let health = registry.healthSnapshot(config.name, now: now) else { return nil }
            let inventory = snapshot.view(config.name)?.inventory
            return EndpointStatusRow(
                config: config, health: health, stats: metrics.endpointStats(config.name),
                models: inventory?.models.map(\.name) ?? [], loadedModels: inventory?.loaded.map(\.name) ?? [],
                inFlight: registry.inFlightCount(config.name))
        }
    }

    private static func json(_ body: [UInt8]) -> LocalResponse {
        LocalResponse(status: 200, headers: [("Content-Type", "application/json; charset=utf-8")], body: body)
    }
}
