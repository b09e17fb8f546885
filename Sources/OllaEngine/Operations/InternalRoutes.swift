import OllaCore

/// Olla's own routes: health, status, metrics, version and the fleet page. They are small
/// and answered from memory, so monitoring keeps working when every backend is down.
enum InternalRoutes {
    /// A route of `InternalRoute`'s table, with the fleet page's file resolved.
    enum Route: Equatable {
        case health, status, endpoints, models, activity, metrics, version
        /// A file of the fleet page, and `/internal/ui` without its slash.
        case page(FleetPage.Asset), pageRedirect

        /// The table's row for this route.
        var route: InternalRoute {
            switch self {
            case .health: .health
            case .status: .status
            case .endpoints: .endpoints
            case .models: .models
            case .activity: .activity
            case .metrics: .metrics
            case .version: .version
            case .page: .page
            case .pageRedirect: .pageRedirect
            }
        }

        /// Whether the route answers without an API key (`InternalRoute.isOpen`).
        var isOpen: Bool { route.isOpen }
    }

    /// The route a request is for; nil for other methods, other paths and files the
    /// fleet page does not have.
    static func route(method: String, rawTarget: String) -> Route? {
        // Only `GET` and `HEAD` reach them (`InternalRoute.route(method:path:)`): asked before
        // the path is cut out of the target, since every API request (a POST) asks first.
        guard method == "GET" || method == "HEAD" else { return nil }
        let path = rawTarget.pathBeforeQuery
        switch InternalRoute.route(method: method, path: path) {
        case nil: return nil
        case .health: return .health
        case .status: return .status
        case .endpoints: return .endpoints
        case .models: return .models
        case .activity: return .activity
        case .metrics: return .metrics
        case .version: return .version
        case .pageRedirect: return .pageRedirect
        case .page: return FleetPage.asset(at: path).map(Route.page)
        }
    }

    /// `ifNoneMatch` is the request's `If-None-Match` header, for the page's files. `inFlight`
    /// counts the requests in flight (the engine's live exchanges): the gauge of `/internal/metrics`
    /// and `/internal/status`, read when one of them is asked for.
    static func answer(_ route: Route, registry: EndpointRegistry, metrics: Metrics, activity: FleetActivity,
                       startedAt: ContinuousClock.Instant, inFlight: () -> Int, ifNoneMatch: String? = nil) -> LocalResponse {
        switch route {
        case .page(let asset): return FleetPage.response(asset, ifNoneMatch: ifNoneMatch)
        case .pageRedirect: return FleetPage.redirect()
        case .activity: return json(ActivityRenderer.activity(activity.snapshot(), now: .now))
        case .health: return json(StatusRenderer.health())
        case .version: return json(StatusRenderer.version())
        case .status:
            let snapshot = registry.snapshot
            return json(StatusRenderer.status(
                uptime: .now - startedAt, endpoints: rows(registry, metrics), metrics: metricsSnapshot(metrics, inFlight: inFlight()),
                modelCount: snapshot.catalogue.models.count))
        case .endpoints: return json(StatusRenderer.endpoints(rows(registry, metrics)))
        case .models:
            return json(StatusRenderer.models(registry.snapshot.catalogue, scheduler: registry.scheduler.snapshot,
                                              held: registry.scheduler.heldCounts, now: .now))
        case .metrics:
            let text = PrometheusRenderer.render(metrics: metricsSnapshot(metrics, inFlight: inFlight()), endpoints: rows(registry, metrics),
                                                 unloads: registry.scheduler.unloadsSent)
            return LocalResponse(status: 200, headers: [HTTPHeader("Content-Type", PrometheusRenderer.contentType)], body: Array(text.utf8))
        }
    }

    /// The metrics with the in-flight gauge the engine counts.
    private static func metricsSnapshot(_ metrics: Metrics, inFlight: Int) -> MetricsSnapshot {
        var snapshot = metrics.snapshot()
        snapshot.inFlight = inFlight
        return snapshot
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
        LocalResponse(status: 200, headers: [HTTPHeader("Content-Type", "application/json; charset=utf-8")], body: body)
    }
}
