import Testing
@testable import OllaHTTPServer

/// The method and version libmicrohttpd hands the access handler, as Strings (`MHD.method`,
/// `MHD.version`): the common tokens come back as static strings, any other as sent.
@Suite struct RequestLineTokenTests {
    @Test(arguments: ["POST", "GET", "DELETE", "HEAD", "PATCH", "post", "PROPFIND"])
    func methodIsTheTokenAsSent(_ token: String) {
        #expect(token.withCString { MHD.method($0) } == token)
    }

    @Test func missingMethodIsGET() {
        #expect(MHD.method(nil) == "GET")
    }

    @Test(arguments: ["HTTP/1.1", "HTTP/1.0", "HTTP/1.2"])
    func versionIsTheTokenAsSent(_ token: String) {
        #expect(token.withCString { MHD.version($0) } == token)
    }

    @Test func missingVersionIsHTTP11() {
        #expect(MHD.version(nil) == "HTTP/1.1")
    }
}
