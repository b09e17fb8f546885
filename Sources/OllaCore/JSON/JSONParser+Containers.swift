extension JSONParser.Reader {
    mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enterContainer()
        index += 1  // '{'
        var members: [JSONMember] = []
        skipWhitespace()
        if peek() == JSONByte.closeBrace {
            return leaveContainer(.object(members))
        }
        while true {
            members.append(try parseMember(afterComma: !members.isEmpty))
            skipWhitespace()
            switch peek() {
            case JSONByte.comma:
                index += 1
                skipWhitespace()
            case JSONByte.closeBrace:
                return leaveContainer(.object(members))
            case nil:
                throw syntaxError("unexpected end of input, expected ',' or '}' after object member")
            default:
                throw syntaxError("expected ',' or '}' after object member")
            }
        }
    }

    mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enterContainer()
        index += 1  // '['
        var elements: [JSONNode] = []
        skipWhitespace()
        if peek() == JSONByte.closeBracket {
            return leaveContainer(.array(elements))
        }
        while true {
            if !elements.isEmpty, peek() == JSONByte.closeBracket {
                throw syntaxError("trailing commas are not allowed; expected a value after ','")
            }
            elements.append(try parseValue())
            skipWhitespace()
            switch peek() {
            case JSONByte.comma:
                index += 1
                skipWhitespace()
            case JSONByte.closeBracket:
                return leaveContainer(.array(elements))
            case nil:
                throw syntaxError("unexpected end of input, expected ',' or ']' after array element")
            default:
                throw syntaxError("expected ',' or ']' after array element")
            }
        }
    }

    /// Parses `"key": value`; the cursor is at the key's opening quote (or what should be one).
    private mutating func parseMember(afterComma: Bool) throws(JSONSyntaxError) -> JSONMember {
        guard peek() == JSONByte.quote else {
            if afterComma, peek() == JSONByte.closeBrace {
                throw syntaxError("trailing commas are not allowed; expected an object key after ','")
            }
            if peek() == JSONByte.slash {
                throw syntaxError("comments are not allowed in JSON")
            }
            throw syntaxError("expected a string as object key")
        }
        let keyPosition = positions.position(at: index)
        let key = try parseString()
        skipWhitespace()
        guard peek() == JSONByte.colon else {
            throw syntaxError("expected ':' after object key")
        }
        index += 1
        skipWhitespace()
        let node = try parseValue()
        return JSONMember(key: key, keyPosition: keyPosition, node: node)
    }

    private mutating func enterContainer() throws(JSONSyntaxError) {
        guard depth < maxDepth else {
            throw syntaxError("nesting is deeper than the limit of \(maxDepth) arrays/objects")
        }
        depth += 1
    }

    /// Consumes the closing bracket and returns the finished container.
    private mutating func leaveContainer(_ value: JSONValue) -> JSONValue {
        index += 1
        depth -= 1
        return value
    }
}
