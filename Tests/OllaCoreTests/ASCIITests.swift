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
