extension JSONValue {
    /// A short description of the value for "expected X, found Y" messages,
    /// e.g. `number 5`, `string "5 s"`, `an array`.
    public var summary: String {
        switch self {
        case .null: "null"
        case .bool(let flag): "boolean \(flag)"
        case .number(let number): "number \(number.text)"
        case .string(let text): "string \(Self.quoted(text))"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Quotes text for an error message, escaping what would break the line and
    /// shortening long values so one bad prompt-sized string can't flood a log.
    /// Not JSON: control characters read as Swift's `\u{7}` (JSON text goes through `JSONString`).
    static func quoted(_ text: String, limit: Int = 60) -> String {
        var result = "\""
        for (count, scalar) in text.unicodeScalars.enumerated() {
            if count == limit {
                result += "..."
                break
            }
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
