import Testing
@testable import OllaCore
import OllaTestSupport

/// The one JSON string escaper against the bytes Go's `encoding/json` writes (`encode.go`
/// `appendString`), and against RFC 8259 by parsing its output back.
@Suite struct JSONStringTests {
    private func quoted(bytes: [UInt8], html: Bool = true) -> String {
        var output: [UInt8] = []
        bytes.withUnsafeBytes { JSONString.append(utf8: $0, to: &output, escapingHTML: html) }
        return String(decoding: output, as: UTF8.self)
    }

    @Test func quotesAndBackslashesAreEscaped() {
        #expect(JSONString.quote(#"a"b\c/d"#) == #""a\"b\\c/d""#)
        #expect(JSONString.quote("") == #""""#)
    }

    @Test func controlCharactersUseShortFormsWhereGoDoes() {
        #expect(JSONString.quote("\u{8}\u{C}\n\r\t") == #""\b\f\n\r\t""#)
        #expect(JSONString.quote("\u{0}\u{1}\u{B}\u{1B}\u{1F}") == #""\u0000\u0001\u000b\u001b\u001f""#)
        // DEL and the rest of ASCII are not control characters for JSON (RFC 8259 §7).
        #expect(JSONString.quote("\u{7F} ~") == "\"\u{7F} ~\"")
    }

    @Test func htmlCharactersAreEscapedLikeJSONMarshal() {
        #expect(JSONString.quote("<a href='x'>&</a>") == #""\u003ca href='x'\u003e\u0026\u003c/a\u003e""#)
        #expect(JSONString.quote("<&>", escapingHTML: false) == #""<&>""#)
    }

    @Test func lineAndParagraphSeparatorsAreEscaped() {
        #expect(JSONString.quote("a\u{2028}b\u{2029}c") == #""a\u2028b\u2029c""#)
        #expect(JSONString.quote("\u{2027}\u{202A}") == "\"\u{2027}\u{202A}\"")
    }

    @Test func otherTextIsRawUTF8() {
        #expect(JSONString.quote("é€😀 \u{FFFD}") == "\"é€😀 \u{FFFD}\"")
    }

    @Test(arguments: [
        ([0xFF], #""\ufffd""#),
        ([0x61, 0x80, 0x62], #""a\ufffdb""#),  // stray continuation byte
        ([0xC0, 0xAF], #""\ufffd\ufffd""#),  // overlong "/"
        ([0xE2, 0x82], #""\ufffd\ufffd""#),  // cut short at the end
        ([0xED, 0xA0, 0x80], #""\ufffd\ufffd\ufffd""#),  // UTF-16 surrogate D800
        ([0xF4, 0x90, 0x80, 0x80], #""\ufffd\ufffd\ufffd\ufffd""#),  // past U+10FFFF
        ([0xF0, 0x9F, 0x98, 0x80, 0x3C], "\"😀\\u003c\""),
    ] as [([UInt8], String)])
    func invalidUTF8BecomesOneReplacementEscapePerByte(bytes: [UInt8], expected: String) {
        #expect(quoted(bytes: bytes) == expected)
    }

    @Test func outputParsesBackToTheSameText() throws {
        let samples = ["", "plain", "a\"b\\c", "\u{0}\u{1F}\u{7F}", "<tag> & \u{2028}\u{2029}", "é€😀", "\r\n\t\u{8}\u{C}"]
        for text in samples {
            for html in [true, false] {
                let parsed = try JSONParser().parse(Array(JSONString.quote(text, escapingHTML: html).utf8))
                #expect(parsed.value == .string(text), "\(text)")
            }
        }
    }

    @Test func writerAndErrorsUseTheSameEscaper() {
        let text = "x\u{C}<\u{2028}>"
        #expect(String(decoding: JSONWriter().render(.string(text)), as: UTF8.self) == JSONString.quote(text))
        #expect(ProxyError(.badRequest, text).body(for: .native) == #"{"error":"# + JSONString.quote(text) + "}")
    }

    /// Without HTML escapes, plain ASCII is passed a word at a time: the output is what the
    /// byte-at-a-time path writes (the HTML-escaping one, its three escapes put back), for
    /// texts of every length mixing plain bytes with each kind of byte that stops the skip.
    @Test func withoutHTMLEscapesTheWordAtATimePathWritesTheSameBytes() {
        // No `u`: putting `<`, `>` and `&` back must not match an escaped backslash's text.
        let pieces: [[UInt8]] = [
            Array("abcdefgh".utf8), Array("/api/chat?x=1".utf8), Array("llama3.2:latest".utf8), [0x20], [0x7E], [0x7F],
            [JSONByte.quote], [JSONByte.backslash], [0x00], [0x0A], [0x1F], Array("<".utf8), Array(">".utf8), Array("&".utf8),
            Array("é".utf8), Array("😀".utf8), [0xE2, 0x80, 0xA8], [0xE2, 0x80, 0xA9], [0xFF], [0xC3], [0xE2, 0x80],
        ]
        var random = SplitMix64(seed: 2028)
        for length in 0..<400 {
            var text: [UInt8] = []
            for _ in 0..<(length % 12) { text += pieces[Int(random.next() % UInt64(pieces.count))] }
            let plainRun = Int(random.next() % 20)
            text.insert(contentsOf: Array(repeating: UInt8(ascii: "m"), count: plainRun), at: Int(random.next() % UInt64(text.count + 1)))
            let expected = quoted(bytes: text, html: true)
                .replacing(#"\u003c"#, with: "<")
                .replacing(#"\u003e"#, with: ">")
                .replacing(#"\u0026"#, with: "&")
            #expect(quoted(bytes: text, html: false) == expected, "\(text)")
        }
    }
}
