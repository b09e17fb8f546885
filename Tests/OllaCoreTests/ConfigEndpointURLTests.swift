import Testing
import OllaCore

@Suite("Endpoint URLs")
struct ConfigEndpointURLTests {
    @Test(arguments: [
        ("http://localhost:11434", "http", "localhost", 11_434, "", "http://localhost:11434"),
        ("http://localhost:11434/", "http", "localhost", 11_434, "", "http://localhost:11434"),
        ("HTTP://GPU-Box.LAN:11434//", "http", "gpu-box.lan", 11_434, "", "http://gpu-box.lan:11434"),
        ("https://llm.example.com", "https", "llm.example.com", nil, "", "https://llm.example.com"),
        ("https://llm.example.com/ollama/", "https", "llm.example.com", nil, "/ollama", "https://llm.example.com/ollama"),
        ("http://192.168.1.20:8000/v1", "http", "192.168.1.20", 8_000, "/v1", "http://192.168.1.20:8000/v1"),
        ("http://[::1]:11434", "http", "::1", 11_434, "", "http://[::1]:11434"),
        ("http://[FE80::1]/a%20b", "http", "fe80::1", nil, "/a%20b", "http://[fe80::1]/a%20b"),
        ("http://my_host", "http", "my_host", nil, "", "http://my_host"),
    ] as [(String, String, String, Int?, String, String)])
    func parsesAndNormalises(_ text: String, _ scheme: String, _ host: String, _ port: Int?, _ basePath: String, _ baseURL: String) throws {
        let url = try EndpointURL(parsing: text)
        #expect(url.scheme.rawValue == scheme)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.basePath == basePath)
        #expect(url.baseURL == baseURL)
        #expect(try EndpointURL(parsing: url.baseURL) == url)
    }

    @Test func effectivePortFallsBackToSchemeDefault() throws {
        #expect(try EndpointURL(parsing: "http://a").effectivePort == 80)
        #expect(try EndpointURL(parsing: "https://a").effectivePort == 443)
        #expect(try EndpointURL(parsing: "https://a:8443").effectivePort == 8_443)
    }

    @Test func resolvesReferences() throws {
        let url = try EndpointURL(parsing: "http://gpu:11434/ollama")
        #expect(url.resolving("/api/tags") == "http://gpu:11434/ollama/api/tags")
        #expect(url.resolving("https://status.lan/health") == "https://status.lan/health")
    }

    @Test(arguments: [
        ("localhost:11434", "must start with http:// or https://"),
        ("ftp://host", "must start with http:// or https://"),
        ("http//host", "must start with http:// or https://"),
        ("http://", "has no host"),
        ("http://:11434", "has no host"),
        ("http:///path", "has no host"),
        ("http://host:0", #"has an invalid port "0" (must be a number between 1 and 65535)"#),
        ("http://host:65536", #"has an invalid port "65536" (must be a number between 1 and 65535)"#),
        ("http://host:", #"has an invalid port "" (must be a number between 1 and 65535)"#),
        ("http://host:+80", #"has an invalid port "+80" (must be a number between 1 and 65535)"#),
        ("http://host/x?y=1", "must not contain a query string ('?...')"),
        ("http://host/#top", "must not contain a fragment ('#...')"),
        ("http://user:pw@host", "must not contain credentials ('user@'); send them with 'headers' instead"),
        ("http://ho st", "must not contain spaces or control characters"),
        ("http://hôst", "must not contain non-ASCII characters (percent-encode them)"),
        ("http://host!", #"has an invalid host "host!" (letters, digits, '-', '.' and '_' only)"#),
        ("http://::1:80", "has more than one ':' in the host (write IPv6 addresses in brackets)"),
        ("http://[::1", "has an unterminated IPv6 address ('[' without ']')"),
        ("http://[::1]x", "has unexpected characters after the IPv6 address"),
        ("http://[zz]", #"has an invalid IPv6 address "[zz]""#),
        ("http://host/a%2", "has a '%' that is not followed by two hex digits"),
    ])
    func rejects(_ text: String, _ reason: String) {
        #expect(throws: EndpointURL.ParseError(reason: reason)) {
            try EndpointURL(parsing: text)
        }
    }

    @Test func validatesReferences() throws {
        try EndpointURL.validateReference("/")
        try EndpointURL.validateReference("/api/tags")
        try EndpointURL.validateReference("/health?verbose=1")
        try EndpointURL.validateReference("http://status:9000/health?deep=true")
        #expect(throws: EndpointURL.ParseError.self) { try EndpointURL.validateReference("api/tags") }
        #expect(throws: EndpointURL.ParseError.self) { try EndpointURL.validateReference("") }
        #expect(throws: EndpointURL.ParseError.self) { try EndpointURL.validateReference("/a b") }
        #expect(throws: EndpointURL.ParseError.self) { try EndpointURL.validateReference("https://") }
    }
}
