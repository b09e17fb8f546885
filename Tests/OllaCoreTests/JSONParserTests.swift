import Testing
@testable import OllaCore

@Suite("JSONParser")
struct JSONParserTests {
    private func parse(_ text: String, maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONSyntaxError) -> JSONNode {
        try JSONParser(maxDepth: maxDepth).parse(Array(text.utf8))
    }

    /// The syntax error for `text`, or nil if it parses.
    private func syntaxError(_ text: String) -> JSONSyntaxError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Valid documents

    @Test func parsesScalars() throws {
        #expect(try parse("null").value == .null)
        #expect(try parse("true").value == .bool(true))
        #expect(try parse(" false ").value == .bool(false))
        #expect(try parse(#""hi""#).value == .string("hi"))
    }

    @Test func keepsNumberTextSoIntegersAreExact() throws {
        guard case .number(let big) = try parse("9007199254740993").value else {
            Issue.record("not a number")
            return
        }
        #expect(big.text == "9007199254740993")
        #expect(big.integerValue == 9_007_199_254_740_993)  // not representable as Double
        #expect(big.isWrittenAsInteger)

        guard case .number(let fraction) = try parse("-1.5e3").value else {
            Issue.record("not a number")
            return
        }
        #expect(fraction.doubleValue == -1500)
        #expect(fraction.integerValue == nil)
        #expect(!fraction.isWrittenAsInteger)
    }

    @Test(arguments: ["0", "-0", "0.5", "10", "1e5", "1E+5", "1e-5", "-12.25E2"])
    func acceptsNumberForms(_ text: String) throws {
        guard case .number(let number) = try parse(text).value else {
            Issue.record("not a number")
            return
        }
        #expect(number.text == text)
    }

    @Test func keepsObjectMemberOrderAndDuplicates() throws {
        let node = try parse(#"{"b": 1, "a": 2, "b": 3}"#)
        guard case .object(let members) = node.value else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["b", "a", "b"])
    }

    @Test func recordsPositionsOfValuesAndKeys() throws {
        let text = "{\n  \"server\": {\n    \"port\": 8080\n  },\n  \"list\": [true, null]\n}"
        let root = try parse(text)
        #expect(root.position == SourcePosition(line: 1, column: 1))
        guard case .object(let members) = root.value,
              case .object(let server) = members[0].node.value,
              case .array(let list) = members[1].node.value
        else {
            Issue.record("unexpected shape")
            return
        }
        #expect(members[0].keyPosition == SourcePosition(line: 2, column: 3))
        #expect(members[0].node.position == SourcePosition(line: 2, column: 13))
        #expect(server[0].keyPosition == SourcePosition(line: 3, column: 5))
        #expect(server[0].node.position == SourcePosition(line: 3, column: 13))
        #expect(list[1].position == SourcePosition(line: 5, column: 18))
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let root = try parse(#"{"é€😀": 1}"#)
        guard case .object(let members) = root.value else {
            Issue.record("not an object")
            return
        }
        #expect(members[0].node.position.column == 9)  // { " é € 😀 " : space 1
    }

    @Test func decodesEscapes() throws {
        let node = try parse(#""a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00""#)
        #expect(node.value == .string("a\"b\\c/d\u{8}\u{C}\n\r\tAé€😀"))
    }

    @Test func acceptsNulEscapeAndNonASCIIText() throws {
        #expect(try parse(#""\u0000""#).value == .string("\u{0}"))
        #expect(try parse(#""grüße, 東京""#).value == .string("grüße, 東京"))
    }

    @Test func acceptsNestingUpToTheLimit() throws {
        let depth = JSONParser.defaultMaxDepth
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        _ = try parse(text)
    }

    // MARK: Invalid documents

    @Test(arguments: [
        (#"{"a": 1,}"#, 1, 9, "trailing commas are not allowed; expected an object key after ','"),
        ("[1, 2,]", 1, 7, "trailing commas are not allowed; expected a value after ','"),
        (#"{"a": 1 "b": 2}"#, 1, 9, "expected ',' or '}' after object member"),
        ("[1 2]", 1, 4, "expected ',' or ']' after array element"),
        (#"{"a" 1}"#, 1, 6, "expected ':' after object key"),
        ("{a: 1}", 1, 2, "expected a string as object key"),
        ("// comment\n{}", 1, 1, "comments are not allowed in JSON"),
        ("{\n  /* c */ \"a\": 1}", 2, 3, "comments are not allowed in JSON"),
        ("012", 1, 2, "leading zeros are not allowed in numbers"),
        ("-", 1, 2, "expected a digit after '-'"),
        ("1.", 1, 3, "expected a digit after the decimal point"),
        ("1e", 1, 3, "expected a digit in the exponent"),
        (".5", 1, 1, "unexpected '.', expected a value"),
        ("+1", 1, 1, "unexpected '+', expected a value"),
        ("tru", 1, 1, "invalid literal, expected 'true'"),
        ("nul", 1, 1, "invalid literal, expected 'null'"),
        ("{} x", 1, 4, "unexpected 'x' after the top-level value"),
        ("{}{}", 1, 3, "unexpected '{' after the top-level value"),
        ("", 1, 1, "unexpected end of input, expected a value"),
        ("   \n ", 2, 2, "unexpected end of input, expected a value"),
        (#"{"a": "#, 1, 7, "unexpected end of input, expected a value"),
        (#"{"a": 1"#, 1, 8, "unexpected end of input, expected ',' or '}' after object member"),
        ("[1", 1, 3, "unexpected end of input, expected ',' or ']' after array element"),
        (#""abc"#, 1, 1, "unterminated string"),
        ("\"a\tb\"", 1, 3, "control character U+0009 must be escaped inside a string"),
        ("[\"line\nbreak\"]", 1, 7, "control character U+000A must be escaped inside a string"),
        (#""\x""#, 1, 2, #"invalid escape sequence '\x'"#),
        (#""\u12G4""#, 1, 2, #"expected four hex digits after '\u'"#),
        (#""\ud83d""#, 1, 2, #"unpaired UTF-16 surrogate \uD83D"#),
        (#""\ud83dx""#, 1, 2, #"unpaired UTF-16 surrogate \uD83D"#),
        (#""\ude00""#, 1, 2, #"unpaired UTF-16 surrogate \uDE00"#),
        (#""\ud83d\u0041""#, 1, 2, #"unpaired UTF-16 surrogate \uD83D"#),
        ("'a'", 1, 1, "unexpected ''', expected a value"),
    ])
    func rejectsWithPosition(_ text: String, _ line: Int, _ column: Int, _ message: String) {
        let error = syntaxError(text)
        #expect(error == JSONSyntaxError(line: line, column: column, message: message), "input: \(text)")
    }

    @Test func rejectsInvalidUTF8InStrings() {
        for bytes: [UInt8] in [
            [0x22, 0xFF, 0x22],              // never valid
            [0x22, 0xC3, 0x22],              // truncated sequence
            [0x22, 0xC0, 0xAF, 0x22],        // overlong '/'
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // encoded surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
        ] {
            #expect(throws: JSONSyntaxError(line: 1, column: 2, message: "invalid UTF-8 byte sequence in string")) {
                try JSONParser().parse(bytes)
            }
        }
    }

    @Test func rejectsByteOutsideStrings() {
        #expect(throws: JSONSyntaxError(line: 1, column: 1, message: "unexpected byte 0xEF, expected a value")) {
            try JSONParser().parse([0xEF, 0xBB, 0xBF, 0x7B, 0x7D])  // byte order mark
        }
    }

    @Test func rejectsNestingBeyondTheLimit() {
        let text = String(repeating: "[", count: 5) + String(repeating: "]", count: 5)
        #expect(throws: JSONSyntaxError(line: 1, column: 5, message: "nesting is deeper than the limit of 4 arrays/objects")) {
            try parse(text, maxDepth: 4)
        }
        let deep = String(repeating: "{\"a\":", count: 100_000)
        #expect(syntaxError(deep)?.message == "nesting is deeper than the limit of 512 arrays/objects")
    }

    @Test func errorDescriptionNamesLineAndColumn() {
        let error = JSONSyntaxError(line: 3, column: 7, message: "expected ':' after object key")
        #expect(error.description == "line 3, column 7: expected ':' after object key")
    }
}
