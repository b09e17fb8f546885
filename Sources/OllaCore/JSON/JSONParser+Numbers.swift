extension JSONParser.Reader {
    /// Parses `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func parseNumber() throws(JSONSyntaxError) -> JSONNumber {
        let start = index
        if peek() == JSONByte.minus {
            index += 1
        }
        if peek() == JSONByte.zero {
            index += 1
            if let next = peek(), JSONByte.isDigit(next) {
                throw syntaxError("leading zeros are not allowed in numbers")
            }
        } else {
            try skipDigits(orFail: "expected a digit after '-'")
        }
        if peek() == JSONByte.dot {
            index += 1
            try skipDigits(orFail: "expected a digit after the decimal point")
        }
        if peek() == JSONByte.lowercaseE || peek() == JSONByte.uppercaseE {
            index += 1
            if peek() == JSONByte.plus || peek() == JSONByte.minus {
                index += 1
            }
            try skipDigits(orFail: "expected a digit in the exponent")
        }
        return JSONNumber(text: String(decoding: bytes[start..<index], as: UTF8.self))
    }

    /// Consumes one or more digits, failing with `message` when there is none.
    private mutating func skipDigits(orFail message: String) throws(JSONSyntaxError) {
        guard let first = peek(), JSONByte.isDigit(first) else {
            throw syntaxError(message)
        }
        while let next = peek(), JSONByte.isDigit(next) {
            index += 1
        }
    }
}
