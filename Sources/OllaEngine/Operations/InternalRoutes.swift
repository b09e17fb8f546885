import OllaCore

/// Olla's own routes: health, status, metrics, version and the fleet page. They are small
/// and answered from memory, so monitoring keeps working when every backend is down.
enum InternalRoutes {
    enum Route: Equatable {
        case health, status, endpoints, models, activity, metrics, version
        /// A file of the fleet page, and `/internal/ui` without its slash.
        case page(FleetPage.Asset), pageRedirect

        /// Health and version stay open with API keys on: load balancers and the CLI's
        /// checks cannot authenticate. So do the fleet page's files: they hold no data, and
        /// a browser cannot send a key when it opens a page; its fetches then carry one.
        var isOpen: Bool {
            switch self {
            case .health, .version, .page, .pageRedirect: true
            default: false
            }
        }
    }

    static func route(method: String, rawTarget: String) -> Route? {
        guard method == "GET" || method == "HEAD" else { return nil }
        let path = rawTarget.pathBeforeQuery
        switch path {
        case "/internal/health": return .health
        case "/internal/status": return .status
        case "/internal/status/endpoints": return .endpoints
        case "/internal/status/models": return .models
        case "/internal/status/activity": return .activity
        case "/internal/metrics": return .metrics
        case "/version": return .version
        case "/internal/ui": return .pageRedirect
        default: return FleetPage.asset(at: path).map(Route.page)
        }
    }

    /// `ifNoneMatch` is the request's `If-None-Match` header, for the page's files.
    static func answer(_ route: Route, registry: EndpointRegistry, metrics: Metrics, activity: FleetActivity,
                       startedAt: ContinuousClock.Instant, ifNoneMatch: String? = nil) -> LocalResponse {
        switch route {
        case .page(let asset): return FleetPage.response(asset, ifNoneMatch: ifNoneMatch)
        case .pageRedirect: return FleetPage.redirect()
        case .activity: return json(ActivityRenderer.activity(activity.snapshot(), now: .now))
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
                inFlight: registry.inFlightCount(config.name), loaded: inventory?.loaded ?? [], version: inventory?.version)
        }
    }

    private static func json(_ body: [UInt8]) -> LocalResponse {
        LocalResponse(status: 200, headers: [("Content-Type", "application/json; charset=utf-8")], body: body)
    }
}
