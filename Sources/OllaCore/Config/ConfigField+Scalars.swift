extension ConfigField {
    func string() throws(ConfigError) -> String {
        guard case .string(let text) = node.value else {
            throw typeMismatch(expected: "a string")
        }
        return text
    }

    /// A string that is not empty and has no whitespace or control characters, for
    /// names and host names that end up in logs, URLs and metrics labels.
    func identifier() throws(ConfigError) -> String {
        let text = try string()
        guard !text.isEmpty else {
            throw error("must not be empty")
        }
        guard !text.unicodeScalars.contains(where: Self.isWhitespaceOrControl) else {
            throw error("must not contain whitespace or control characters, found \(JSONValue.quoted(text))")
        }
        return text
    }

    func bool() throws(ConfigError) -> Bool {
        guard case .bool(let flag) = node.value else {
            throw typeMismatch(expected: "true or false")
        }
        return flag
    }

    /// An integer written without fraction or exponent, within `bounds`.
    func integer(in bounds: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard case .number(let number) = node.value, number.isWrittenAsInteger else {
            throw typeMismatch(expected: "an integer")
        }
        guard let value = number.integerValue, bounds.contains(value) else {
            throw error("\(Self.describe(bounds)), found \(number.text)")
        }
        return value
    }

    /// A duration string such as `"5s"`, checked against `requirement`.
    func duration(_ requirement: DurationRequirement = .any) throws(ConfigError) -> Duration {
        guard case .string(let text) = node.value else {
            throw typeMismatch(expected: "a duration string such as \"5s\" or \"500ms\"")
        }
        let duration: Duration
        do {
            duration = try DurationParser.parse(text)
        } catch {
            throw self.error(error.description)
        }
        if let violation = requirement.violation(by: duration) {
            throw error(violation)
        }
        return duration
    }

    /// One of the spellings of `Choice`, with a "did you mean" hint for near misses.
    func choice<Choice: ConfigChoice>(_: Choice.Type = Choice.self) throws(ConfigError) -> Choice {
        let valid = Choice.canonicalValues.map { "\"\($0)\"" }.joined(separator: ", ")
        guard case .string(let text) = node.value else {
            throw typeMismatch(expected: "one of \(valid)")
        }
        guard let choice = Choice(configValue: text) else {
            var message = "must be one of \(valid), found \(JSONValue.quoted(text))"
            if let suggestion = SpellingSuggestion.closest(to: text, among: Choice.canonicalValues) {
                message += "; did you mean \"\(suggestion)\"?"
            }
            throw error(message)
        }
        return choice
    }

    static func isWhitespaceOrControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
    }

    /// `must be between 1 and 65535` or, for open-ended ranges, `must be 0 or greater`.
    private static func describe(_ bounds: ClosedRange<Int>) -> String {
        bounds.upperBound == .max
            ? "must be \(bounds.lowerBound) or greater"
            : "must be between \(bounds.lowerBound) and \(bounds.upperBound)"
    }
}
