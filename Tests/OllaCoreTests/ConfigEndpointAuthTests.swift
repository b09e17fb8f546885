import Testing
@testable import OllaCore

@Suite struct ConfigEndpointAuthTests {
    private func endpoint(_ auth: String) throws -> EndpointConfig {
        let text = #"{"discovery": {"static": {"endpoints": [{"name": "a", "url": "http://a:1", "type": "ollama", "auth": \#(auth)}]}}}"#
        return try OllaConfig.parse(Array(text.utf8), source: "config.json").discovery.staticEndpoints.endpoints[0]
    }

    private func failure(_ auth: String) -> String? {
        do { _ = try endpoint(auth); return nil } catch { return "\(error)" }
    }

    private let env: [String: String] = ["TOKEN": "sk-123", "EMPTY": ""]
    private func header(_ auth: EndpointAuth, files: [String: String] = [:]) throws -> (name: String, value: String) {
        try auth.header(environment: { env[$0] }, readFile: { files[$0] })
    }

    @Test func bearerFromAnEnvironmentVariable() throws {
        let auth = try #require(try endpoint(#"{"type": "bearer", "token": "${TOKEN}"}"#).auth)
        #expect(try header(auth) == ("Authorization", "Bearer sk-123"))
    }

    @Test func apiKeyWithItsHeaderAndADefault() throws {
        let auth = try #require(try endpoint(#"{"type": "api_key", "key": "${MISSING:-fallback}", "header": "X-Key"}"#).auth)
        #expect(try header(auth) == ("X-Key", "fallback"))
    }

    @Test func basicFromFiles() throws {
        let auth = try #require(try endpoint(#"{"type": "basic", "username_file": "/u", "password": "p w"}"#).auth)
        let (name, value) = try header(auth, files: ["/u": "admin\n"])
        #expect(name == "Authorization")
        #expect(value == "Basic YWRtaW46cCB3")  // base64("admin:p w")
    }

    @Test func anUnsetVariableStopsTheStart() throws {
        let auth = try #require(try endpoint(#"{"type": "bearer", "token": "${NOPE}"}"#).auth)
        #expect(throws: EndpointAuth.ResolutionError.self) { try header(auth) }
        let empty = try #require(try endpoint(#"{"type": "bearer", "token": "${EMPTY}"}"#).auth)
        #expect(throws: EndpointAuth.ResolutionError.self) { try header(empty) }
    }

    @Test func aMissingFileStopsTheStart() throws {
        let auth = try #require(try endpoint(#"{"type": "bearer", "token_file": "/run/secrets/x"}"#).auth)
        #expect(throws: EndpointAuth.ResolutionError.self) { try header(auth) }
    }

    @Test func invalidBlocksNameTheProblem() {
        #expect(failure(#"{"type": "bearer"}"#)?.contains("missing 'token'") == true)
        #expect(failure(#"{"type": "bearer", "token": "a", "token_file": "/b"}"#)?.contains("not both") == true)
        #expect(failure(#"{"type": "digest", "token": "a"}"#)?.contains("bearer") == true)
        #expect(failure(#"{"type": "bearer", "token": "a", "tokn": "b"}"#)?.contains("unknown key") == true)
    }
}
