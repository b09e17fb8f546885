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

    private func names(_ headers: [(String, String)]?) -> [String: String] {
        Dictionary((headers ?? []).map { ($0.0, $0.1) }, uniquingKeysWith: { $1 })
    }

    @Test func preflightForAnAllowedOrigin() throws {
        let policy = CORSPolicy(config: CORSConfig(allowedOrigins: ["https://chat.example.com"]))
        let headers = names(try #require(policy.preflight(
            origin: "https://chat.example.com", requestMethod: "POST", requestHeaders: "content-type, authorization")))
        #expect(headers["Access-Control-Allow-Origin"] == "https://chat.example.com")
        #expect(headers["Vary"] == "Origin")
        #expect(headers["Access-Control-Allow-Methods"]?.contains("POST") == true)
        #expect(headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type, X-Request-ID, X-API-Key")
        #expect(headers["Access-Control-Max-Age"] == "600")
    }

    @Test func preflightDenials() {
        let policy = CORSPolicy(config: CORSConfig(allowedOrigins: ["https://chat.example.com"]))
        #expect(policy.preflight(origin: "https://evil.example", requestMethod: "POST", requestHeaders: nil) == nil)
        #expect(policy.preflight(origin: nil, requestMethod: "POST", requestHeaders: nil) == nil)
        #expect(policy.preflight(origin: "https://chat.example.com", requestMethod: "TRACE", requestHeaders: nil) == nil)
        #expect(policy.preflight(origin: "https://chat.example.com", requestMethod: "POST", requestHeaders: "X-Secret") == nil)
        #expect(policy.preflight(origin: "https://chat.example.com", requestMethod: nil, requestHeaders: nil) == nil)
        #expect(!CORSPolicy(config: .defaults).isEnabled)
        #expect(CORSPolicy(config: .defaults).preflight(origin: "http://a", requestMethod: "GET", requestHeaders: nil) == nil)
    }

    @Test func wildcardOriginAndHeaders() throws {
        let policy = CORSPolicy(config: CORSConfig(allowedOrigins: ["*"], allowedHeaders: ["*"]))
        let headers = names(try #require(policy.preflight(origin: "http://localhost:3000", requestMethod: "delete", requestHeaders: "X-Custom, Authorization")))
        #expect(headers["Access-Control-Allow-Origin"] == "*")
        #expect(headers["Access-Control-Allow-Headers"] == "x-custom, authorization")
    }

    @Test func responseHeadersExposeOllaHeaders() {
        let policy = CORSPolicy(config: CORSConfig(allowedOrigins: ["https://chat.example.com"]))
        let headers = names(policy.responseHeaders(origin: "https://Chat.Example.com"))
        #expect(headers["Access-Control-Allow-Origin"] == "https://Chat.Example.com")
        #expect(headers["Vary"] == "Origin")
        let exposed = headers["Access-Control-Expose-Headers"]?.split(separator: ",").map { $0.trimmingPrefix(" ") } ?? []
        #expect(exposed.contains("X-Olla-Endpoint"))
        #expect(exposed.contains("Retry-After"))
        #expect(exposed.count == 12)
        #expect(policy.responseHeaders(origin: "https://other.example").isEmpty)
        #expect(policy.responseHeaders(origin: nil).isEmpty)
    }
}
