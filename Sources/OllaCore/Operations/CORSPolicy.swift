/// Cross-origin resource sharing for browser clients (`server.cors`), the way Ollama does it.
///
/// Ollama (`server/routes.go`) puts gin-contrib/cors in front of every route: a request
/// whose `Origin` is not allowed gets `403` whatever its method, a preflight from an
/// allowed origin gets `204` with the allowed methods and headers, and a request whose
/// `Origin` is its own host is not a cross-origin request at all. Olla does the same, with
/// a JSON error that says which part of the request was refused.
///
/// Olla never sends `Access-Control-Allow-Credentials`, so browsers do not attach cookies;
/// API keys travel in `Authorization`/`X-API-Key`, which preflight allows. That is why a
/// `"*"` configuration can answer with a literal `*`.
public struct CORSPolicy: Sendable {
    /// The methods a preflight may ask for: gin-contrib/cors' defaults, which Ollama keeps.
    public static let allowedMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    /// Response headers scripts may read: Olla's routing headers and the rate-limit ones.
    public static let exposedHeaders = [
        "X-Olla-Request-ID", "X-Olla-Endpoint", "X-Olla-Model", "X-Olla-Backend-Type",
        "X-Olla-Response-Time", "X-Olla-Routing-Strategy", "X-Olla-Routing-Decision",
        "X-Olla-Routing-Reason", "X-Olla-Fan-Out-Succeeded", "X-Olla-Fan-Out-Failed", "X-RateLimit-Limit", "X-RateLimit-Remaining",
        "X-RateLimit-Reset", "Retry-After",
    ]

    /// Request headers browsers may always send without asking (CORS-safelisted).
    private static let safelistedHeaders: Set<String> = ["accept", "accept-language", "content-language", "content-type"]

    private let allowsAnyOrigin: Bool
    private let patterns: [CORSOriginPattern]
    private let allowsAnyHeader: Bool
    private let allowedHeaders: [String]
    private let allowedHeaderSet: Set<String>
    private let maxAgeSeconds: Int64

    /// What a preflight gets.
    public enum Preflight: Sendable {
        /// `204` with these headers.
        case allowed([HTTPHeader])
        /// `403`; the message says which part was refused (origin, method or header).
        case refused(String)
    }

    /// Creates the policy for a `server.cors` configuration. `environment` looks up
    /// `origins_env` (injected for tests); its value is a comma-separated origin list, as
    /// Ollama reads `OLLAMA_ORIGINS`.
    public init(config: CORSConfig, environment: (String) -> String? = { _ in nil }) {
        var texts = config.allowedOrigins
        if !config.originsEnv.isEmpty, let value = environment(config.originsEnv) {
            texts += value.split(separator: ",").map { String($0.trimmingSpaces()) }.filter { !$0.isEmpty }
        }
        allowsAnyOrigin = texts.contains("*")
        patterns = (config.defaultOrigins ? CORSOriginPattern.ollamaDefaults : [])
            + texts.filter { $0 != "*" }.compactMap(CORSOriginPattern.init)
        allowsAnyHeader = config.allowedHeaders.contains("*")
        allowedHeaders = config.allowedHeaders.filter { $0 != "*" }
        allowedHeaderSet = Set(allowedHeaders.map { $0.lowercased() })
        maxAgeSeconds = config.maxAge.components.seconds
    }

    /// Whether CORS is on (some origin is allowed). When off, `Origin` is ignored.
    public var isEnabled: Bool { allowsAnyOrigin || !patterns.isEmpty }

    /// Whether a browser at `origin` may call Olla.
    public func allows(origin: String) -> Bool {
        if allowsAnyOrigin { return true }
        let lowered = origin.lowercased()
        return patterns.contains { $0.matches(lowered) }
    }

    /// Whether a request is cross-origin: it has an `Origin` that is not its own `Host`
    /// (gin-contrib/cors `applyCors`: `fetch` from the page Olla itself served sends one).
    public static func isCrossOrigin(origin: String?, host: String?) -> Bool {
        guard let origin, !origin.isEmpty else { return false }
        guard let host, !host.isEmpty else { return true }
        let lowered = origin.lowercased(), hostLowered = host.lowercased()
        return lowered != "http://" + hostLowered && lowered != "https://" + hostLowered
    }

    /// The message of the `403` a request from a refused origin gets.
    public static func originRefusal(_ origin: String) -> String {
        "CORS: origin '\(origin)' is not allowed (server.cors.allowed_origins)"
    }

    /// The answer to a preflight `OPTIONS` request from `origin`.
    ///
    /// - Parameters:
    ///   - origin: The `Origin` header.
    ///   - requestMethod: `Access-Control-Request-Method`, if sent.
    ///   - requestHeaders: `Access-Control-Request-Headers`, comma-separated, if sent.
    public func preflight(origin: String, requestMethod: String?, requestHeaders: String?) -> Preflight {
        guard allows(origin: origin) else { return .refused(Self.originRefusal(origin)) }
        if let requestMethod, !Self.allowedMethods.contains(requestMethod.uppercased()) {
            return .refused("CORS: method \(requestMethod) is not allowed; allowed: \(Self.allowedMethods.joined(separator: ", "))")
        }
        let requested = (requestHeaders ?? "").split(separator: ",")
            .map { $0.trimmingSpaces().lowercased() }
            .filter { !$0.isEmpty }
        if !allowsAnyHeader,
           let refused = requested.first(where: { !allowedHeaderSet.contains($0) && !Self.safelistedHeaders.contains($0) }) {
            return .refused("CORS: request header '\(refused)' is not allowed (server.cors.allowed_headers)")
        }
        // With "*" the requested names are echoed: a literal `*` in
        // Access-Control-Allow-Headers never covers `Authorization`.
        let headerList = allowsAnyHeader ? requested.joined(separator: ", ") : allowedHeaders.joined(separator: ", ")
        var headers = originHeaders(origin)
        headers.append(HTTPHeader("Access-Control-Allow-Methods", Self.allowedMethods.joined(separator: ", ")))
        if !headerList.isEmpty {
            headers.append(HTTPHeader("Access-Control-Allow-Headers", headerList))
        }
        headers.append(HTTPHeader("Access-Control-Max-Age", String(maxAgeSeconds)))
        return .allowed(headers)
    }

    /// Headers for an actual (non-preflight) response to a request from `origin`; empty
    /// when there is no `Origin` or it is not allowed.
    public func responseHeaders(origin: String?) -> [HTTPHeader] {
        guard let origin, allows(origin: origin) else { return [] }
        var headers = originHeaders(origin)
        headers.append(HTTPHeader("Access-Control-Expose-Headers", Self.exposedHeaders.joined(separator: ", ")))
        return headers
    }

    /// `Access-Control-Allow-Origin` plus `Vary: Origin`, so shared caches keep answers
    /// for different origins apart.
    private func originHeaders(_ origin: String) -> [HTTPHeader] {
        [HTTPHeader("Access-Control-Allow-Origin", allowsAnyOrigin ? "*" : origin), HTTPHeader("Vary", "Origin")]
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
