import Testing
@testable import OllaHTTPServer

@Suite struct LocalAnswerTimingTests {
    private func waits(length: String? = nil, coding: String? = nil, expect: String? = nil, closes: Bool = false) -> Bool {
        LocalAnswerTiming.waitsForBody(contentLength: length, transferEncoding: coding, expect: expect, answerCloses: closes)
    }

    @Test func aRequestWithoutBodyWaitsSoTheConnectionStays() {
        #expect(waits())
        #expect(waits(length: "0"))
    }

    @Test func aSmallBodyIsReadAndSkipped() {
        #expect(waits(length: "100"))
        #expect(waits(length: "262144"), "256 KiB, Go's maxPostHandlerReadBytes, is still read")
    }

    @Test func aLargeUnknownOrMalformedBodyIsNotRead() {
        #expect(!waits(length: "262145"))
        #expect(!waits(length: "10000000000"))
        #expect(!waits(coding: "chunked"), "a chunked body has no size to judge")
        #expect(!waits(length: "+81"))
        #expect(!waits(length: "1, 1"))
    }

    @Test func aClientWaitingFor100ContinueIsAnsweredAtOnce() {
        #expect(!waits(length: "10", expect: "100-continue"))
    }

    @Test func anAnswerThatClosesTheConnectionGoesAtOnce() {
        #expect(!waits(closes: true))
    }
}
