import Testing
@testable import OllaCore

@Suite struct RequestTargetTests {
    private func refused(_ target: String) -> Bool {
        do { try RequestTarget.check(target); return false } catch { return error.status == 400 }
    }

    @Test func ordinaryTargetsPass() {
        for target in ["/olla/ollama/api/chat", "/olla/ollama/api/tags?x=1&y=%20", "/olla/ollama/v1/models/llama3.2:1b",
                       "*", "/olla/ollama/api/blobs/sha256:abc", "/caf%C3%A9", "/ünïcode"] {
            #expect(!refused(target), "\(target)")
        }
    }

    @Test func whitespaceAndControlCharactersAreRefused() {
        for target in ["", " /olla/ollama/api/version", "/olla/ollama/api/version ", "/olla/ollama/api/ver sion",
                       "/olla/ollama/api/version\t", "/a\rb", "/a\nb", "/a\u{0}b", "/a\u{7F}"] {
            #expect(refused(target), "\(target.debugDescription)")
        }
    }
}
