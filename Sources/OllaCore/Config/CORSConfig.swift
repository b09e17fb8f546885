/// The `server.cors` section: which browser origins may call Olla.
///
/// The defaults are Ollama's (`server/routes.go` `GenerateRoutes`, `envconfig.AllowedOrigins`),
/// so browser apps and extensions that call a local Ollama work through Olla unchanged.
public struct CORSConfig: Sendable, Equatable {
    /// `default_origins`: whether Ollama's built-in origins are allowed (localhost,
    /// 127.0.0.1 and 0.0.0.0 on any port over http and https; `app://`, `file://`,
    /// `tauri://`, `vscode-webview://`, `vscode-file://`). Default true.
    public var defaultOrigins: Bool
    /// `allowed_origins`: more origins, added to the defaults as Ollama adds
    /// `OLLAMA_ORIGINS`: `"*"` (any), an origin such as `"https://chat.example.com"`, or a
    /// pattern with one `*` (`"http://192.168.1.5:*"`, `"chrome-extension://*"`). Stored
    /// lowercased. Default none.
    public var allowedOrigins: [String]
    /// `origins_env`: an environment variable holding more origins, comma-separated, read
    /// at start and on reload. Default `OLLAMA_ORIGINS`, so an Ollama setup carries over;
    /// `""` = none.
    public var originsEnv: String
    /// `allowed_headers`: request headers a browser may send, or `"*"` for any. Default
    /// Ollama's list plus Olla's `X-API-Key` and `X-Request-ID`.
    public var allowedHeaders: [String]
    /// `max_age`: how long a browser may cache a preflight answer. Default 12h (Ollama's).
    public var maxAge: Duration

    /// The request headers Ollama allows (`server/routes.go`), plus the two Olla reads.
    public static let defaultAllowedHeaders = [
        "Authorization", "Content-Type", "User-Agent", "Accept", "X-Requested-With",
        "OpenAI-Beta", "x-stainless-arch", "x-stainless-async", "x-stainless-custom-poll-interval",
        "x-stainless-helper-method", "x-stainless-lang", "x-stainless-os", "x-stainless-package-version",
        "x-stainless-poll-helper", "x-stainless-retry-count", "x-stainless-runtime",
        "x-stainless-runtime-version", "x-stainless-timeout",
        "X-API-Key", "X-Request-ID",
    ]

    /// Creates a CORS configuration; every parameter defaults to the documented default.
    public init(
        defaultOrigins: Bool = true,
        allowedOrigins: [String] = [],
        originsEnv: String = "OLLAMA_ORIGINS",
        allowedHeaders: [String] = CORSConfig.defaultAllowedHeaders,
        maxAge: Duration = .seconds(12 * 3600)
    ) {
        self.defaultOrigins = defaultOrigins
        self.allowedOrigins = allowedOrigins
        self.originsEnv = originsEnv
        self.allowedHeaders = allowedHeaders
        self.maxAge = maxAge
    }

    /// The configuration used when the section is absent: Ollama's defaults.
    public static let defaults = CORSConfig()
}
