/// A backend's base URL, decomposed and normalised: lowercase scheme and host, no
/// trailing slash, no query or fragment.
///
/// Request paths are appended to `baseURL`, so `http://gpu:11434/ollama` serves
/// `/api/chat` at `http://gpu:11434/ollama/api/chat`.
public struct EndpointURL: Sendable, Equatable, CustomStringConvertible {
    /// The URL schemes a backend can be reached with.
    public enum Scheme: String, Sendable {
        case http
        case https

        /// The port used when the URL does not name one.
        public var defaultPort: Int {
            switch self {
            case .http: 80
            case .https: 443
            }
        }
    }

    /// `http` or `https`.
    public var scheme: Scheme
    /// The host name or IP address, lowercased; IPv6 literals without brackets.
    public var host: String
    /// The port written in the URL, or nil when it was omitted.
    public var port: Int?
    /// The path prefix without trailing slash: `""` or e.g. `"/ollama"`.
    public var basePath: String

    /// Creates a URL from already-valid parts.
    public init(scheme: Scheme, host: String, port: Int? = nil, basePath: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// The port to connect to: the explicit one or the scheme's default.
    public var effectivePort: Int { port ?? scheme.defaultPort }

    /// `host` as written in a URL authority: IPv6 literals go in brackets.
    public var hostForURL: String { host.contains(":") ? "[\(host)]" : host }

    /// The normalised URL, e.g. `http://192.168.1.20:11434` or `https://llm.lan/ollama`.
    public var baseURL: String {
        let portSuffix = port.map { ":\($0)" } ?? ""
        return "\(scheme.rawValue)://\(hostForURL)\(portSuffix)\(basePath)"
    }

    /// The base URL (`baseURL`).
    public var description: String { baseURL }

    /// The absolute URL for a `health_check_url` / `model_url` style reference: absolute
    /// http(s) URLs are returned unchanged, paths are appended to `baseURL`.
    public func resolving(_ reference: String) -> String {
        reference.hasPrefix("/") ? baseURL + reference : reference
    }
}
