extension JSONParser {
    /// The parsing state for one document: a cursor over the bytes, the current
    /// nesting depth and the position tracker.
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        let maxDepth: Int
        var index = 0
        var depth = 0
        var positions: SourcePositionTracker

        init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
            self.positions = SourcePositionTracker(bytes: bytes)
        }

        mutating func parseDocument() throws(JSONSyntaxError) -> JSONNode {
            skipWhitespace()
            let root = try parseValue()
            skipWhitespace()
            if let byte = peek() {
                throw syntaxError("unexpected \(JSONByte.describe(byte)) after the top-level value")
            }
            return root
        }

        mutating func parseValue() throws(JSONSyntaxError) -> JSONNode {
            guard let byte = peek() else {
                throw syntaxError("unexpected end of input, expected a value")
            }
            let position = positions.position(at: index)
            let value: JSONValue
            switch byte {
            case JSONByte.openBrace: value = try parseObject()
            case JSONByte.openBracket: value = try parseArray()
            case JSONByte.quote: value = .string(try parseString())
            case JSONByte.minus, JSONByte.zero...JSONByte.nine: value = .number(try parseNumber())
            case UInt8(ascii: "t"): value = try parseLiteral("true", .bool(true))
            case UInt8(ascii: "f"): value = try parseLiteral("false", .bool(false))
            case UInt8(ascii: "n"): value = try parseLiteral("null", .null)
            case JSONByte.slash: throw syntaxError("comments are not allowed in JSON")
            default: throw syntaxError("unexpected \(JSONByte.describe(byte)), expected a value")
            }
            return JSONNode(value: value, position: position)
        }

        mutating func parseString() throws(JSONSyntaxError) -> String {
            do {
                let extent = try JSONStringLiteral.scan(bytes, from: index)
                let text = try JSONStringLiteral.decode(bytes, extent)
                index = extent.end
                return text
            } catch {
                throw syntaxError(error.message, at: error.offset)
            }
        }

        private mutating func parseLiteral(_ word: StaticString, _ value: JSONValue) throws(JSONSyntaxError) -> JSONValue {
            let expected = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            guard index + expected.count <= bytes.count,
                  expected.elementsEqual(bytes[index..<(index + expected.count)])
            else {
                throw syntaxError("invalid literal, expected '\(word)'")
            }
            index += expected.count
            return value
        }

        // MARK: Cursor helpers

        func peek() -> UInt8? {
            index < bytes.count ? bytes[index] : nil
        }

        mutating func skipWhitespace() {
            while index < bytes.count, JSONByte.isWhitespace(bytes[index]) {
                index += 1
            }
        }

        mutating func syntaxError(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
            let position = positions.position(at: offset ?? index)
            return JSONSyntaxError(line: position.line, column: position.column, message: message)
        }
    }
}
