import Testing
import OllaCore

@Suite("JSONBodyScanner")
struct JSONBodyScannerTests {
    private func model(_ text: String, keys: [String] = ["model", "name"]) -> (key: String, value: String)? {
        Array(text.utf8).withUnsafeBytes { JSONBodyScanner.topLevelString(forKeys: keys, in: $0) }
    }

    private func modelBytes(_ bytes: [UInt8]) -> (key: String, value: String)? {
        bytes.withUnsafeBytes { JSONBodyScanner.topLevelString(forKeys: ["model", "name"], in: $0) }
    }

    private func stream(_ text: String) -> Bool? {
        Array(text.utf8).withUnsafeBytes { JSONBodyScanner.topLevelBool(forKey: "stream", in: $0) }
    }

    @Test func findsPlainModel() {
        let found = model(#"{"model": "llama3.2:3b", "prompt": "hi", "stream": false}"#)
        #expect(found?.key == "model")
        #expect(found?.value == "llama3.2:3b")
    }

    /// An ASCII value is decoded by the fast path, anything else validated: the same Strings.
    @Test(arguments: ["llama3.2:3b", "", "a", "Qwen2.5-Coder:32B-instruct-q4_K_M", "läma:ünïcode", "模型:latest", "🦙"])
    func decodesASCIIAndUnicodeValuesAlike(name: String) {
        #expect(model(#"{"model":"\#(name)"}"#)?.value == name)
        #expect(model(#"{"model":"\#(name)\u0041"}"#)?.value == name + "A")
    }

    @Test func toleratesWhitespaceEverywhere() {
        let found = model(" \r\n\t{ \n \"model\" \t:\r\n \"qwen\" \n } \n")
        #expect(found?.value == "qwen")
    }

    @Test func ignoresNestedModelKeys() {
        let body = #"""
        {"options": {"model": "wrong"}, "messages": [{"model": "wrong", "content": "{\"model\": \"x\"}"}],
         "tools": [{"function": {"parameters": {"properties": {"model": {"type": "string"}}}}}],
         "model": "right"}
        """#
        #expect(model(body)?.value == "right")
    }

    @Test func returnsNilWhenOnlyNestedModelExists() {
        #expect(model(#"{"options": {"model": "nested"}, "prompt": "model"}"#) == nil)
    }

    @Test func prefersEarlierKeyInListWhereverItAppears() {
        let both = model(#"{"name": "by-name", "model": "by-model"}"#)
        #expect(both?.key == "model")
        #expect(both?.value == "by-model")

        let onlyName = model(#"{"name": "mistral"}"#)
        #expect(onlyName?.key == "name")
        #expect(onlyName?.value == "mistral")

        let reversed = model(#"{"model": "by-model", "name": "by-name"}"#, keys: ["name", "model"])
        #expect(reversed?.key == "name")
    }

    @Test func firstOccurrenceOfRepeatedKeyWins() {
        #expect(model(#"{"model": "first", "model": "second"}"#)?.value == "first")
    }

    @Test func skipsMatchingKeysWhoseValueIsNotAString() {
        let found = model(#"{"model": {"id": "x"}, "name": "fallback"}"#)
        #expect(found?.key == "name")
        #expect(found?.value == "fallback")
        #expect(model(#"{"model": 42}"#) == nil)
        #expect(model(#"{"model": null}"#) == nil)
    }

    @Test func decodesEscapedValues() {
        #expect(model(#"{"model": "a\"b\\c\u00e9\ud83d\ude00\/"}"#)?.value == "a\"b\\cé😀/")
    }

    @Test func matchesEscapedKeys() {
        let found = model(#"{"mod\u0065l": "escaped-key"}"#)
        #expect(found?.key == "model")
        #expect(found?.value == "escaped-key")
        #expect(model(#"{"mode\"l": "x"}"#) == nil)
    }

    @Test func skipsAllValueKindsBeforeTheKey() {
        let body = #"""
        {"a": [1, -2.5e3, true, false, null, "s", {}, [], [[]], {"k": [{}]}], "b": 0, "c": -0.0E+1,
         "d": "\u005c\"", "model": "m"}
        """#
        #expect(model(body)?.value == "m")
    }

    @Test(arguments: [
        "", "   ", "null", "[]", #"["model", "x"]"#, #""model""#, "42", "true",
        #"{"model": "x""#,            // truncated: no closing brace
        #"{"model": "x"#,             // truncated inside the value
        #"{"model": "x", "#,           // truncated after a comma
        #"{"model": "x", "a": [1, 2"#, // truncated inside a later value
        #"{"model": "x"} trailing"#,  // garbage after the object
        #"{"model": "x"}{}"#,
        #"{"model": "x",}"#,          // trailing comma
        #"{"model" "x"}"#,            // missing colon
        #"{model: "x"}"#,             // unquoted key
        #"{"model": 'x'}"#,
        #"{"a": [1,], "model": "x"}"#,
        #"{"a": [}, "model": "x"}"#,  // mismatched brackets
        #"{"a": {"b"}, "model": "x"}"#,
        #"{"a": 01, "model": "x"}"#,
        #"{"a": tru, "model": "x"}"#,
        #"{"a": "\x", "model": "x"}"#,
        #"{"model": "x\u12"}"#,
        #"{"model": "\ud800"}"#,      // unpaired surrogate
        "{\"model\": \"line\nbreak\"}",
    ])
    func returnsNilForMalformedOrNonObjectBodies(_ text: String) {
        #expect(model(text) == nil, "input: \(text)")
    }

    @Test func returnsNilForInvalidUTF8AnywhereInStrings() {
        let valueWithBadByte: [UInt8] = Array(#"{"model": "a"#.utf8) + [0xFF] + Array(#""}"#.utf8)
        #expect(modelBytes(valueWithBadByte) == nil)
        let skippedStringWithBadByte: [UInt8] = Array(#"{"prompt": ""#.utf8) + [0xC3] + Array(#"", "model": "m"}"#.utf8)
        #expect(modelBytes(skippedStringWithBadByte) == nil)
        let byteOutsideStrings: [UInt8] = Array(#"{"model": "m""#.utf8) + [0x80] + Array("}".utf8)
        #expect(modelBytes(byteOutsideStrings) == nil)
    }

    @Test func returnsNilForEveryTruncationOfAValidBody() {
        let body = Array(#"{"messages": [{"role": "user", "content": "hi \"there\""}], "model": "llama3", "stream": true}"#.utf8)
        for length in 0..<body.count {
            #expect(modelBytes(Array(body[..<length])) == nil, "length \(length)")
        }
        #expect(modelBytes(body)?.value == "llama3")
    }

    @Test func survivesDeepNestingWithoutRecursion() {
        let deep = "{\"a\": " + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000) + ", \"model\": \"m\"}"
        #expect(model(deep) == nil)  // deeper than the 512 limit: rejected, not a stack overflow

        let allowed = "{\"a\": " + String(repeating: "[{\"k\":", count: 255) + "1" + String(repeating: "}]", count: 255)
            + ", \"model\": \"m\"}"
        #expect(model(allowed)?.value == "m")

        let unbalanced = "{\"model\": \"m\", \"a\": " + String(repeating: "[", count: 100_000)
        #expect(model(unbalanced) == nil)
    }

    @Test func handlesLargeBodies() {
        // A 24 MB prompt with many escapes before the model key; a linear scan finishes quickly.
        let chunk = #"lorem \"ipsum\" \\ dolor \u00e9 sit amet, "#
        let prompt = String(repeating: chunk, count: 500_000)
        let body = #"{"prompt": ""# + prompt + #"", "images": [], "model": "big-one", "stream": false}"#
        #expect(model(body)?.value == "big-one")
        #expect(stream(body) == false)
    }

    @Test func readsTopLevelStream() {
        #expect(stream(#"{"model": "m", "stream": true}"#) == true)
        #expect(stream(#"{"stream": false, "model": "m"}"#) == false)
        #expect(stream(#"{"options": {"stream": true}}"#) == nil)
        #expect(stream(#"{"stream": "true"}"#) == nil)
        #expect(stream(#"{"stream": null, "stream": true}"#) == true)
        #expect(stream(#"{"str\u0065am": true}"#) == true)
        #expect(stream(#"{"stream": true"#) == nil)
        #expect(stream("[true]") == nil)
    }

    @Test func emptyObjectAndEmptyKeyList() {
        #expect(model("{}") == nil)
        #expect(model(#"{"model": "m"}"#, keys: []) == nil)
    }
}
