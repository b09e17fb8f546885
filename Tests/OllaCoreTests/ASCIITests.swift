import Testing
@testable import OllaCore

@Suite struct ASCIITests {
    @Test func pathStopsAtTheFirstQuestionMark() {
        #expect("/api/chat?a=1?b".pathBeforeQuery == "/api/chat")
        #expect("/api/chat".pathBeforeQuery == "/api/chat")
        #expect("?x".pathBeforeQuery == "")
        #expect("".pathBeforeQuery == "")
        #expect("/api/tags?".pathBeforeQuery == "/api/tags")
        // Longer than a small string, non-ASCII before the query, and a substring.
        #expect("/olla/ollama/api/show/modèle-très-long?x=1".pathBeforeQuery == "/olla/ollama/api/show/modèle-très-long")
        let target = "GET /olla/ollama/api/chat?stream=1 HTTP/1.1".split(separator: " ")[1]
        #expect(target.pathBeforeQuery == "/olla/ollama/api/chat")
        #expect(target.pathBeforeQuery.endIndex == target.utf8.firstIndex(of: UInt8(ascii: "?")))
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

@Suite struct ASCIISearchTests {
    @Test func findsANeedleInAnyASCIICase() {
        #expect("text/event-stream; charset=utf-8".containsIgnoringASCIICase("text/event-stream"))
        #expect("Text/Event-Stream".containsIgnoringASCIICase("text/event-stream"))
        #expect("application/X-NDJSON".containsIgnoringASCIICase("ndjson"))
        #expect("ndjson".containsIgnoringASCIICase("ndjson"))
        #expect("xx ndjsoN".containsIgnoringASCIICase("ndjson"))
    }

    @Test func missesWhatIsNotThere() {
        #expect(!"application/json".containsIgnoringASCIICase("ndjson"))
        #expect(!"ndjso".containsIgnoringASCIICase("ndjson"))
        #expect(!"".containsIgnoringASCIICase("ndjson"))
        #expect(!"nnd json".containsIgnoringASCIICase("ndjson"))
        // Only letters fold: '@' is not '`', and non-ASCII bytes never match.
        #expect(!"@".containsIgnoringASCIICase("`"))
        #expect(!"ndjsön".containsIgnoringASCIICase("ndjson"))
        #expect("".containsIgnoringASCIICase(""))
    }

    @Test func findsAPartialMatchFollowedByAWholeOne() {
        #expect("ndjsndjson".containsIgnoringASCIICase("ndjson"))
        #expect("text/event-text/event-stream".containsIgnoringASCIICase("text/event-stream"))
    }
}
