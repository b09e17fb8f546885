/// Cross-origin resource sharing for browser clients (`server.cors`).
///
/// Olla never sends `Access-Control-Allow-Credentials`, so browsers do not attach
/// cookies; API keys travel in `Authorization`/`X-API-Key`, which preflight allows. That
/// is why a `"*"` configuration can answer with a literal `*`.
public struct CORSPolicy: Sendable {
    /// The methods a preflight may ask for: everything the Ollama and OpenAI APIs use.
    public static let allowedMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]

    /// Response headers scripts may read: Olla's routing headers and the rate-limit ones.
    public static let exposedHeaders = [
        "X-Olla-Request-ID", "X-Olla-Endpoint", "X-Olla-Model", "X-Olla-Backend-Type",
        "X-Olla-Response-Time", "X-Olla-Routing-Strategy", "X-Olla-Routing-Decision",
        "X-Olla-Routing-Reason", "X-RateLimit-Limit", "X-RateLimit-Remaining",
        "X-RateLimit-Reset", "Retry-After",
    ]

    /// Request headers browsers may always send without asking (CORS-safelisted).
    private static let safelistedHeaders: Set<String> = ["accept", "accept-language", "content-language", "content-type"]

    private let allowsAnyOrigin: Bool
    private let origins: Set<String>
    private let allowsAnyHeader: Bool
    private let allowedHeaders: [String]
    private let allowedHeaderSet: Set<String>
    private let maxAgeSeconds: Int64

    /// Creates the policy for a `server.cors` configuration.
    public init(config: CORSConfig) {
        allowsAnyOrigin = config.allowedOrigins.contains("*")
        origins = Set(config.allowedOrigins.map { $0.lowercased() })
        allowsAnyHeader = config.allowedHeaders.contains("*")
        allowedHeaders = config.allowedHeaders.filter { $0 != "*" }
        allowedHeaderSet = Set(allowedHeaders.map { $0.lowercased() })
        maxAgeSeconds = config.maxAge.components.seconds
    }

    /// Whether CORS is on (some origin is allowed).
    public var isEnabled: Bool { allowsAnyOrigin || !origins.isEmpty }

    /// Whether a browser at `origin` may call Olla.
    public func allows(origin: String) -> Bool {
        allowsAnyOrigin || origins.contains(origin.lowercased())
    }

    /// The answer to a preflight `OPTIONS` request, or nil when it is not allowed (the
    /// caller answers `403` with a JSON error).
    ///
    /// - Parameters:
    ///   - origin: The `Origin` header.
    ///   - requestMethod: `Access-Control-Request-Method`.
    ///   - requestHeaders: `Access-Control-Request-Headers`, comma-separated.
    /// - Returns: The headers of a `204` answer.
    public func preflight(origin: String?, requestMethod: String?, requestHeaders: String?) -> [(String, String)]? {
        guard let origin, allows(origin: origin) else { return nil }
        guard let requestMethod, Self.allowedMethods.contains(requestMethod.uppercased()) else { return nil }
        let requested = (requestHeaders ?? "").split(separator: ",")
            .map { $0.trimmingSpaces().lowercased() }
            .filter { !$0.isEmpty }
        if !allowsAnyHeader,
           requested.contains(where: { !allowedHeaderSet.contains($0) && !Self.safelistedHeaders.contains($0) }) {
            return nil
        }
        // With "*" the requested names are echoed: a literal `*` in
        // Access-Control-Allow-Headers never covers `Authorization`.
        let headerList = allowsAnyHeader ? requested.joined(separator: ", ") : allowedHeaders.joined(separator: ", ")
        var headers = originHeaders(origin)
        headers.append(("Access-Control-Allow-Methods", Self.allowedMethods.joined(separator: ", ")))
        if !headerList.isEmpty {
            headers.append(("Access-Control-Allow-Headers", headerList))
        }
        headers.append(("Access-Control-Max-Age", String(maxAgeSeconds)))
        return headers
    }

    /// Headers for an actual (non-preflight) response to a request from `origin`; empty
    /// when there is no `Origin` or it is not allowed (the browser then hides the response).
    public func responseHeaders(origin: String?) -> [(String, String)] {
        guard let origin, allows(origin: origin) else { return [] }
        var headers = originHeaders(origin)
        headers.append(("Access-Control-Expose-Headers", Self.exposedHeaders.joined(separator: ", ")))
        return headers
    }

    /// `Access-Control-Allow-Origin` plus `Vary: Origin`, so shared caches keep answers
    /// for different origins apart.
    private func originHeaders(_ origin: String) -> [(String, String)] {
        [("Access-Control-Allow-Origin", allowsAnyOrigin ? "*" : origin), ("Vary", "Origin")]
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
