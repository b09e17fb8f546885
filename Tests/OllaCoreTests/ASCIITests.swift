import Testing
@testable import OllaCore

@Suite struct ASCIITests {
    @Test func pathStopsAtTheFirstQuestionMark() {
        #expect("/api/chat?a=1?b".pathBeforeQuery == "/api/chat")
        #expect("/api/chat".pathBeforeQuery == "/api/chat")
        #expect("?x".pathBeforeQuery == "")
    }

    @Test func caseInsensitiveOnlyForLetters() {
        #expect("Content-Type".equalsIgnoringASCIICase("content-type"))
        #expect(!"Content-Type".equalsIgnoringASCIICase("content-typ"))
        // '@' (0x40) and '`' (0x60) differ only in the 0x20 bit but are not letters.
        #expect(!"@".equalsIgnoringASCIICase("`"))
        #expect(!"[".equalsIgnoringASCIICase("{"))
    }

    @Test func lowercasesAsciiLettersOnly() {
        #expect("X-Olla-ID".asciiLowercased == "x-olla-id")
        #expect("already".asciiLowercased == "already")
        #expect("Ünïcode-X".asciiLowercased == "Ünïcode-x")
    }
}
