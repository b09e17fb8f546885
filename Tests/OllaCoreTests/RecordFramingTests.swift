import Testing
@testable import OllaCore

@Suite struct RecordFramingTests {
    private func end(_ framing: RecordFraming, _ text: String) -> Int? {
        Array(text.utf8).withUnsafeBytes { framing.firstRecordEnd(in: $0) }
    }

    @Test func contentTypes() {
        #expect(RecordFraming(contentType: "application/x-ndjson") == .ndjson)
        #expect(RecordFraming(contentType: "Text/Event-Stream; charset=utf-8") == .serverSentEvents)
        #expect(RecordFraming(contentType: "application/json; charset=utf-8") == nil)
        #expect(RecordFraming(contentType: nil) == nil)
    }

    @Test func recordEnds() {
        #expect(end(.ndjson, "{}\n{}\n") == 3)
        #expect(end(.ndjson, "{}") == nil)
        #expect(end(.serverSentEvents, "data: 1\n\ndata: 2\n\n") == 9)
        #expect(end(.serverSentEvents, "event: x\r\ndata: 1\r\n\r\n") == 21)
        #expect(end(.serverSentEvents, "data: 1\n") == nil)
    }

    @Test func holdingTheFinalLine() {
        func held(_ text: String) -> Int { Array(text.utf8).withUnsafeBytes { RecordFraming.endBeforeFinalLine(in: $0) } }
        #expect(held("a\nb\n") == 2)
        #expect(held("a\nb") == 2)
        #expect(held("a\n") == 0)
        #expect(held("{\"status\":\"success\"}") == 0)
    }
}
