import Testing
@testable import OllaCore

@Suite struct LibraryErrorBodyTests {
    private func render(_ target: String?, _ status: Int, _ message: String = "malformed HTTP request") -> String {
        LibraryErrorBody.render(rawTargetPrefix: target.map { Array($0.utf8) }, status: status, message: message)
    }

    @Test func withoutATargetTheShapeIsOllamas() {
        #expect(render(nil, 400) == #"{"error":"malformed HTTP request"}"#)
    }

    @Test func eachRouteFamilyGetsItsOwnShape() {
        for target in ["/olla/ollama/api/chat", "/olla/ollama/api/tags?x=1", "/elsewhere", "/olla/ollama/", ""] {
            #expect(render(target, 400) == #"{"error":"malformed HTTP request"}"#, "\(target)")
        }
        for target in ["/olla/ollama/v1/chat/completions", "/olla/openai/v1/chat/completions?x=1",
                       "/olla/ollama/v1/responses", "/olla/ollama/v1/models/llama3.2", "/olla/ollama/v1/unknown"] {
            #expect(render(target, 505, "HTTP version not supported")
                    == #"{"error":{"message":"HTTP version not supported","type":"invalid_request_error","param":null,"code":null}}"#,
                    "\(target)")
        }
        for target in ["/olla/ollama/v1/messages", "/olla/openai/v1/messages?beta=true"] {
            #expect(render(target, 413, "Content-Length value too large")
                    == #"{"type":"error","error":{"type":"request_too_large","message":"Content-Length value too large"}}"#,
                    "\(target)")
        }
    }

    @Test func statusesMapToTheTypesOfTheirKind() {
        #expect(LibraryErrorBody.kind(status: 400) == .badRequest)
        #expect(LibraryErrorBody.kind(status: 413) == .payloadTooLarge)
        #expect(LibraryErrorBody.kind(status: 414) == .headersTooLarge)
        #expect(LibraryErrorBody.kind(status: 431) == .headersTooLarge)
        #expect(LibraryErrorBody.kind(status: 500) == .internalError)
        #expect(LibraryErrorBody.kind(status: 505) == .badRequest)
        #expect(render("/olla/ollama/v1/messages", 431, "request head too large")
                == #"{"type":"error","error":{"type":"invalid_request_error","message":"request head too large"}}"#)
        #expect(render("/olla/ollama/v1/embeddings", 500, "internal error")
                == #"{"error":{"message":"internal error","type":"api_error","param":null,"code":null}}"#)
    }

    /// libmicrohttpd hands over at most `targetPrefixLimit` bytes of the target: the family read
    /// from them must be the whole target's for every route, however long the rest.
    @Test func aCutTargetHasTheWholeTargetsFamily() {
        let tails = ["", "?" + String(repeating: "q", count: 600), "/" + String(repeating: "p", count: 600),
                     String(repeating: "x", count: 600)]
        for base in [ProxyRoute.prefix, ProxyRoute.openAIPrefix] {
            for route in OllamaRouteTable.routes {
                let path: String
                switch route.match {
                case .exact(let exact): path = exact
                case .parameter(let prefix): path = prefix + "name"
                }
                for tail in tails {
                    let target = base + path + tail
                    let cut = Array(target.utf8.prefix(LibraryErrorBody.targetPrefixLimit))
                    #expect(LibraryErrorBody.flavor(rawTargetPrefix: cut) == ProxyRoute.flavor(rawTarget: target),
                            "\(target.prefix(80))")
                }
            }
        }
    }
}
