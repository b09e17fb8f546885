import Testing
@testable import OllaCore

@Suite("Operations: API keys and CORS")
struct OperationsAccessTests {
    @Test func apiKeysFromEitherHeader() {
        let check = APIKeyCheck(keys: ["sk-one", "second-key"])
        #expect(check.isEnabled)
        #expect(check.authorize(authorization: "Bearer sk-one", apiKey: nil))
        #expect(check.authorize(authorization: "bearer   second-key ", apiKey: nil))
        #expect(check.authorize(authorization: nil, apiKey: "sk-one"))
        #expect(check.authorize(authorization: "Bearer wrong", apiKey: "second-key"))
    }

    @Test func wrongOrMissingKeysAreRefused() {
        let check = APIKeyCheck(keys: ["sk-one"])
        #expect(!check.authorize(authorization: nil, apiKey: nil))
        #expect(!check.authorize(authorization: "Bearer sk-on", apiKey: nil))
        #expect(!check.authorize(authorization: "Bearer sk-one1", apiKey: nil))
        #expect(!check.authorize(authorization: "Bearer sk-onesk-one", apiKey: nil))  // cyclic reads must not match
        #expect(!check.authorize(authorization: "Basic sk-one", apiKey: nil))
        #expect(!check.authorize(authorization: "sk-one", apiKey: nil))
        #expect(!check.authorize(authorization: "Bearer ", apiKey: ""))
        #expect(!check.authorize(authorization: nil, apiKey: "SK-ONE"))
    }

    @Test func noKeysMeansAuthIsOff() {
        let check = APIKeyCheck(keys: ["", ""])
        #expect(!check.isEnabled)
        #expect(check.authorize(authorization: nil, apiKey: nil))
    }

    @Test func environmentValueIsSplitOnCommas() {
        #expect(APIKeyCheck.keys(fromEnvironmentValue: " a, b ,,c ") == ["a", "b", "c"])
        #expect(APIKeyCheck.keys(fromEnvironmentValue: "").isEmpty)
    }

    private func names(_ preflight: CORSPolicy.Preflight) -> [String: String]? {
        guard case .allowed(let headers) = preflight else { return nil }
        return names(headers)
    }

    private func names(_ headers: [HTTPHeader]) -> [String: String] {
        Dictionary(headers.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
    }

    private func refusal(_ preflight: CORSPolicy.Preflight) -> String? {
        if case .refused(let message) = preflight { return message }
        return nil
    }

    /// Only configured origins: Ollama's defaults off.
    private static let onlyChat = CORSConfig(defaultOrigins: false, allowedOrigins: ["https://chat.example.com"])

    @Test func preflightForAnAllowedOrigin() throws {
        let policy = CORSPolicy(config: Self.onlyChat)
        let headers = try #require(names(policy.preflight(
            origin: "https://chat.example.com", requestMethod: "POST", requestHeaders: "content-type, authorization")))
        #expect(headers["Access-Control-Allow-Origin"] == "https://chat.example.com")
        #expect(headers["Vary"] == "Origin")
        #expect(headers["Access-Control-Allow-Methods"] == "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS")
        #expect(headers["Access-Control-Allow-Headers"]?.hasPrefix("Authorization, Content-Type, User-Agent, Accept, X-Requested-With, OpenAI-Beta, x-stainless-arch") == true)
        #expect(headers["Access-Control-Max-Age"] == "43200")
    }

    @Test func preflightRefusalsSayWhichPartWasRefused() {
        let policy = CORSPolicy(config: Self.onlyChat)
        #expect(refusal(policy.preflight(origin: "https://evil.example", requestMethod: "POST", requestHeaders: nil))
            == "CORS: origin 'https://evil.example' is not allowed (server.cors.allowed_origins)")
        #expect(refusal(policy.preflight(origin: "https://chat.example.com", requestMethod: "TRACE", requestHeaders: nil))?
            .hasPrefix("CORS: method TRACE is not allowed") == true)
        #expect(refusal(policy.preflight(origin: "https://chat.example.com", requestMethod: "POST", requestHeaders: "Content-Type, X-Secret"))
            == "CORS: request header 'x-secret' is not allowed (server.cors.allowed_headers)")
        // gin-contrib/cors answers any OPTIONS from an allowed origin as a preflight.
        #expect(names(policy.preflight(origin: "https://chat.example.com", requestMethod: nil, requestHeaders: nil)) != nil)
    }

    /// Ollama's `envconfig.AllowedOrigins` with `OLLAMA_ORIGINS` unset.
    @Test(arguments: ["http://localhost", "http://localhost:5173", "https://localhost:8443", "http://127.0.0.1:3000",
                      "https://0.0.0.0", "http://0.0.0.0:80", "app://obsidian.md", "file://", "tauri://localhost",
                      "vscode-webview://abc123", "vscode-file://vscode-app", "HTTP://LOCALHOST:5173"])
    func ollamaDefaultOriginsAreAllowed(_ origin: String) {
        #expect(CORSPolicy(config: .defaults).allows(origin: origin))
    }

    @Test(arguments: ["https://evil.example", "http://localhost.evil.example", "http://127.0.0.2:3000",
                      "chrome-extension://abcdef", "http://192.168.1.5:3000", "null"])
    func otherOriginsAreRefusedByDefault(_ origin: String) {
        #expect(!CORSPolicy(config: .defaults).allows(origin: origin))
    }

    @Test func wildcardPatternsAndTheEnvironment() {
        let config = CORSConfig(allowedOrigins: ["http://192.168.1.5:*", "https://*.example.com"], originsEnv: "OLLAMA_ORIGINS")
        let policy = CORSPolicy(config: config) { $0 == "OLLAMA_ORIGINS" ? " chrome-extension://* ,moz-extension://abc" : nil }
        #expect(policy.allows(origin: "http://192.168.1.5:3000"))
        #expect(!policy.allows(origin: "http://192.168.1.50:3000"))
        #expect(policy.allows(origin: "https://chat.example.com"))
        #expect(!policy.allows(origin: "https://example.com.evil"))
        #expect(policy.allows(origin: "chrome-extension://abcdef"))
        #expect(policy.allows(origin: "moz-extension://abc"))
        #expect(!policy.allows(origin: "moz-extension://abd"))
        #expect(policy.allows(origin: "http://localhost:5173"), "configured origins add to Ollama's defaults")
    }

    @Test func crossOriginMeansAnOriginOtherThanTheHost() {
        #expect(!CORSPolicy.isCrossOrigin(origin: "http://olla.lan:40114", host: "olla.lan:40114"))
        #expect(!CORSPolicy.isCrossOrigin(origin: nil, host: "olla.lan:40114"))
        #expect(CORSPolicy.isCrossOrigin(origin: "http://localhost:5173", host: "localhost:40114"))
        #expect(CORSPolicy.isCrossOrigin(origin: "http://x", host: nil))
    }

    @Test func offWhenNothingIsAllowed() {
        #expect(CORSPolicy(config: .defaults).isEnabled)
        #expect(!CORSPolicy(config: CORSConfig(defaultOrigins: false)).isEnabled)
    }

    @Test func wildcardOriginAndHeaders() throws {
        let policy = CORSPolicy(config: CORSConfig(allowedOrigins: ["*"], allowedHeaders: ["*"]))
        let headers = try #require(names(policy.preflight(origin: "http://x.example:3000", requestMethod: "delete", requestHeaders: "X-Custom, Authorization")))
        #expect(headers["Access-Control-Allow-Origin"] == "*")
        #expect(headers["Access-Control-Allow-Headers"] == "x-custom, authorization")
    }

    @Test func responseHeadersExposeOllaHeaders() {
        let policy = CORSPolicy(config: Self.onlyChat)
        let headers = names(policy.responseHeaders(origin: "https://Chat.Example.com"))
        #expect(headers["Access-Control-Allow-Origin"] == "https://Chat.Example.com")
        #expect(headers["Vary"] == "Origin")
        let exposed = headers["Access-Control-Expose-Headers"]?.split(separator: ",").map { $0.trimmingPrefix(" ") } ?? []
        #expect(exposed.contains("X-Olla-Endpoint"))
        #expect(exposed.contains("Retry-After"))
        #expect(exposed.count == 14)
        #expect(policy.responseHeaders(origin: "https://other.example").isEmpty)
        #expect(policy.responseHeaders(origin: nil).isEmpty)
    }
}
