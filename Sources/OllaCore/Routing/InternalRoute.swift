/// One of Olla's own routes, outside the Ollama prefix: health, status, metrics, version
/// and the fleet page. They are answered from memory, so monitoring keeps working when
/// every backend is down. Only `GET` and `HEAD` reach them.
public enum InternalRoute: Sendable, Equatable, CaseIterable {
    /// `/internal/health`: Olla itself is up.
    case health
    /// `/internal/status`: uptime, endpoints and totals.
    case status
    /// `/internal/status/endpoints`: one row per endpoint.
    case endpoints
    /// `/internal/status/models`: the merged catalogue and the scheduler's view.
    case models
    /// `/internal/status/activity`: the fleet page's last requests and timeline.
    case activity
    /// `/internal/metrics`: Prometheus text.
    case metrics
    /// `/version`: Olla's version, as Ollama answers `/api/version`.
    case version
    /// `/internal/ui` without its slash: redirected to the fleet page.
    case pageRedirect
    /// A file below `/internal/ui/`; which files exist is the engine's business (`FleetPage`).
    case page

    /// Where the fleet page's files live.
    public static let pagePrefix = "/internal/ui/"

    /// The path the route is served at (for `.page`, the page's directory).
    public var path: String {
        switch self {
        case .health: "/internal/health"
        case .status: "/internal/status"
        case .endpoints: "/internal/status/endpoints"
        case .models: "/internal/status/models"
        case .activity: "/internal/status/activity"
        case .metrics: "/internal/metrics"
        case .version: "/version"
        case .pageRedirect: "/internal/ui"
        case .page: Self.pagePrefix
        }
    }

    /// The `route` label of Olla's metrics: the path, and one label for all of the page.
    public var label: String {
        switch self {
        case .page, .pageRedirect: InternalRoute.pageRedirect.path
        default: path
        }
    }

    /// Health and version stay open with API keys on: load balancers and the CLI's checks
    /// cannot authenticate. So do the fleet page's files: they hold no data, and a browser
    /// cannot send a key when it opens a page; its fetches then carry one.
    public var isOpen: Bool {
        switch self {
        case .health, .version, .page, .pageRedirect: true
        case .status, .endpoints, .models, .activity, .metrics: false
        }
    }

    /// The route `path` (without query) asks for, whatever the method.
    public static func route(path: Substring) -> InternalRoute? {
        if path.hasPrefix(pagePrefix) { return .page }
        return allCases.first { $0 != .page && path == $0.path }
    }

    /// The route a request is for: only `GET` and `HEAD` reach Olla's own routes; any other
    /// method goes on to the Ollama prefix's routing (and its 404).
    public static func route(method: String, path: Substring) -> InternalRoute? {
        guard method == "GET" || method == "HEAD" else { return nil }
        return route(path: path)
    }
}
