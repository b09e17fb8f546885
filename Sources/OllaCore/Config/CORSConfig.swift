/// The `server.cors` section: which browser origins may call Olla.
public struct CORSConfig: Sendable, Equatable {
    /// `allowed_origins`: `"*"` or origins such as `"https://chat.example.com"`, stored
    /// lowercased; empty turns CORS off (browsers then refuse cross-origin calls).
    /// Default none.
    public var allowedOrigins: [String]
    /// `allowed_headers`: request headers a browser may send, or `"*"` for any. Default
    /// `Authorization`, `Content-Type`, `X-Request-ID`, `X-API-Key`.
    public var allowedHeaders: [String]
    /// `max_age`: how long a browser may cache a preflight answer. Default 10m.
    public var maxAge: Duration

    /// The default `allowed_headers`.
    public static let defaultAllowedHeaders = ["Authorization", "Content-Type", "X-Request-ID", "X-API-Key"]

    /// Creates a CORS configuration; every parameter defaults to the documented default.
    public init(
        allowedOrigins: [String] = [],
        allowedHeaders: [String] = CORSConfig.defaultAllowedHeaders,
        maxAge: Duration = .seconds(600)
    ) {
        self.allowedOrigins = allowedOrigins
        self.allowedHeaders = allowedHeaders
        self.maxAge = maxAge
    }

    /// Whether any origin is allowed.
    public var isEnabled: Bool { !allowedOrigins.isEmpty }

    /// The configuration used when the section is absent: CORS off.
    public static let defaults = CORSConfig()
}
