/// Renders a `JSONValue` as compact JSON bytes (no whitespace between tokens).
///
/// Numbers are written with their original source text, so integers that a `Double`
/// cannot hold (64-bit sizes) come out exactly as they came in. Object members keep
/// their order (and any duplicates), so a parsed Ollama entry renders back member for
/// member. Strings are escaped the way Go's `encoding/json` escapes them, because Ollama
/// is a Go program: re-rendering what Ollama sent then yields the same bytes.
public struct JSONWriter: Sendable {
    /// Whether `<`, `>` and `&` are written as `\u003c`, `\u003e` and `\u0026`, as Go's
    /// `json.Marshal` (and so Ollama) does. Either form is valid JSON.
    public var escapesHTML: Bool

    /// Creates a writer; by default it escapes like Go's `json.Marshal`.
    public init(escapesHTML: Bool = true) {
        self.escapesHTML = escapesHTML
    }

    /// The compact JSON text of `value`.
    public func render(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        write(value, to: &output)
        return output
    }

    /// Appends the compact JSON text of `value` to `output`.
    ///
    /// Recursion is bounded by the nesting of the value; parsed values are limited by
    /// `JSONParser.maxDepth` and synthesized ones are a few levels deep.
    public func write(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number):
            output.append(contentsOf: number.text.utf8)
        case .string(let text):
            writeString(text, to: &output)
        case .array(let elements):
            output.append(JSONByte.openBracket)
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(JSONByte.comma) }
                write(element.value, to: &output)
            }
            output.append(JSONByte.closeBracket)
        case .object(let members):
            output.append(JSONByte.openBrace)
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(JSONByte.comma) }
                writeString(member.key, to: &output)
                output.append(JSONByte.colon)
                write(member.node.value, to: &output)
            }
            output.append(JSONByte.closeBrace)
        }
    }
}
