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

    /// An ASCII value is read as bytes; the media type must be the one the Character steps
    /// make (`mediaType(ofUnicode:)`), and a value with any other character takes those steps.
    @Test func asciiContentTypesReadAsBytesAgreeWithCharacters() {
        let values = ["application/x-ndjson", "APPLICATION/X-NDJSON", " application/ndjson ; charset=utf-8",
                      "application/jsonl", "application/jsonlines;", "text/event-stream", "Text/Event-Stream; charset=utf-8",
                      "text/ event-\tstream", "text/event-stream2", "text/event-streamx; a=b", ";text/event-stream",
                      ";;application/x-ndjson;x", " ;text/event-stream", ";;", "", " ", ";", "application/json", "application/json; charset=utf-8",
                      "application/x-ndjson-but-much-longer-than-any-framing", "text/event-stream\r", "a;b;c"]
        for value in values {
            var copy = value
            let bytes = copy.withUTF8 { RecordFraming.asciiMediaType($0) }
            let characters = RecordFraming.mediaType(ofUnicode: value)
            // Longer than any framing's media type: both are no match, the bytes say it early.
            #expect(bytes == characters || (bytes == "" && characters.utf8.count > 24), "\(value)")
        }
        // Many short values over the characters that matter, from a fixed sequence.
        let alphabet = Array("aT;; \t/-x")
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2_000 {
            var value = ""
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            for step in 0..<Int(state >> 60) {
                value.append(alphabet[Int((state >> UInt64(4 * step)) & 0xF) % alphabet.count])
            }
            var copy = value
            #expect(copy.withUTF8 { RecordFraming.asciiMediaType($0) } == RecordFraming.mediaType(ofUnicode: value), "\(value)")
        }
        #expect(RecordFraming(contentType: "text/ event-\tstream") == .serverSentEvents)
        #expect(RecordFraming(contentType: "application/x-ndjson-but-much-longer-than-any-framing") == nil)
        // Not ASCII: the Character steps decide. A `;` carrying a combining mark is one
        // Character, not a separator, so nothing matches; a non-ASCII letter matches nothing.
        var combining = "text/event-stream;\u{301}charset=utf-8"
        #expect(combining.withUTF8 { RecordFraming.asciiMediaType($0) } == nil)
        #expect(RecordFraming(contentType: combining) == nil)
        #expect(RecordFraming(contentType: "text/event-stream; charset=\u{E9}") == .serverSentEvents)
        #expect(RecordFraming(contentType: "text/\u{E9}vent-stream") == nil)
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

    /// The word-at-a-time search agrees with a byte loop wherever the line feeds fall relative
    /// to 8-byte words, for lengths around word sizes and with none at all.
    @Test func holdingTheFinalLineAtEveryAlignment() {
        func reference(_ bytes: [UInt8]) -> Int {
            guard var index = bytes.lastIndex(of: 0x0A) else { return 0 }
            if index == bytes.count - 1 {
                guard let previous = bytes[..<index].lastIndex(of: 0x0A) else { return 0 }
                index = previous
            }
            return index + 1
        }
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 33, 64, 100] {
            var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: length)
            #expect(bytes.withUnsafeBytes { RecordFraming.endBeforeFinalLine(in: $0) } == 0)
            for first in 0..<length {
                for second in [first, length - 1, (first + 9) % length] {
                    bytes = [UInt8](repeating: UInt8(ascii: "x"), count: length)
                    bytes[first] = 0x0A
                    bytes[second] = 0x0A
                    let got = bytes.withUnsafeBytes { RecordFraming.endBeforeFinalLine(in: $0) }
                    #expect(got == reference(bytes), "length \(length), line feeds at \(first), \(second)")
                }
            }
        }
    }
}

@Suite struct RecordFramingSearchTests {
    /// The sixteen-at-a-time line-feed search agrees with a byte loop wherever the line feeds
    /// fall relative to 16-byte blocks and 8-byte words, from every start, with none at all.
    @Test func firstLineFeedAtEveryAlignment() {
        for length in [0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 47, 100] {
            let plain = [UInt8](repeating: UInt8(ascii: "x"), count: length)
            #expect(plain.withUnsafeBytes { RecordFraming.firstLineFeed(in: $0, from: 0) } == nil)
            for first in 0..<length {
                for second in [first, length - 1, (first + 17) % length] {
                    var bytes = plain
                    bytes[first] = 0x0A
                    bytes[second] = 0x0A
                    for start in Set([0, 1, first, min(first + 1, length), max(0, second - 3), length]) {
                        let expected = bytes[start...].firstIndex(of: 0x0A)
                        let got = bytes.withUnsafeBytes { RecordFraming.firstLineFeed(in: $0, from: start) }
                        #expect(got == expected, "length \(length), line feeds at \(first), \(second), from \(start)")
                    }
                }
            }
        }
    }

    /// Records end where a byte loop says, for NDJSON and SSE, across block boundaries.
    @Test func recordEndsAcrossBlocks() {
        for padding in 0..<40 {
            let line = "{\"x\":\"" + String(repeating: "a", count: padding) + "\"}"
            let ndjson = Array((line + "\n" + line + "\n").utf8)
            #expect(ndjson.withUnsafeBytes { RecordFraming.ndjson.firstRecordEnd(in: $0) } == line.utf8.count + 1)
            let sse = Array(("data: " + line + "\n\ndata: x\n\n").utf8)
            #expect(sse.withUnsafeBytes { RecordFraming.serverSentEvents.firstRecordEnd(in: $0) } == line.utf8.count + 8)
            let split = Array(("data: " + line + "\ndata: y\n\n").utf8)
            #expect(split.withUnsafeBytes { RecordFraming.serverSentEvents.firstRecordEnd(in: $0) } == split.count)
        }
    }
}
