/// The `route` label of Olla's metrics and the fleet page's request list: a fixed set of
/// names, never raw paths (ids and typos in paths would grow the label set without bound).
/// Labels come from the route tables: `OllamaRouteTable` for proxied paths (prefix
/// stripped), `InternalRoute` for Olla's own.
public enum MetricsRoute {
    /// The label of every path neither table knows.
    public static let other = "other"
    /// The root, where clients look for Ollama without Olla's prefix (answered 404).
    public static let root = "/"

    /// The label for `path` (without query): a proxied path as forwarded upstream, or an
    /// inbound path of Olla's own. Anything below `/internal/ui` counts as the fleet page.
    public static func name(_ path: String) -> String {
        let path = Substring(path)
        if let route = OllamaRouteTable.route(path: path) { return route.label }
        if path.hasPrefix(InternalRoute.pageRedirect.path) { return InternalRoute.page.label }
        if let route = InternalRoute.route(path: path) { return route.label }
        return path == root ? root : other
    }

    /// Every label `name(_:)` can return.
    public static var labels: [String] {
        OllamaRouteTable.labels + Set(InternalRoute.allCases.map(\.label)).sorted() + [root, other]
    }
}
