/// Reads the `<number><unit>` parts of a duration string one at a time.
struct DurationCursor {
    private let scalars: [Unicode.Scalar]
    private var index = 0

    init(text: String) {
        scalars = Array(text.unicodeScalars)
    }

    var isAtEnd: Bool { index == scalars.count }

    /// Reads one part such as `1.5h` and returns its length in nanoseconds.
    mutating func nextPartNanoseconds(_ fail: (String) -> DurationParseError) throws(DurationParseError) -> Int128 {
        let start = index
        let integerDigits = readDigits()
        var fractionDigits: [UInt8] = []
        if peek() == "." {
            index += 1
            fractionDigits = readDigits()
        }
        guard !integerDigits.isEmpty || !fractionDigits.isEmpty else {
            let found = peek().map { "unexpected character '\($0)'" } ?? "unexpected end"
            throw fail("\(found), expected a number")
        }
        let unit = readUnit()
        guard !unit.isEmpty else {
            let number = String(String.UnicodeScalarView(scalars[start..<index]))
            throw fail("missing unit after \"\(number)\" (write e.g. \"\(number)s\"; units: ns, us, ms, s, m, h)")
        }
        guard let unitNanoseconds = DurationParser.unitNanoseconds[unit] else {
            throw fail("unknown unit \"\(unit)\" (units: ns, us, ms, s, m, h)")
        }
        return try nanoseconds(integerDigits, fractionDigits, unitNanoseconds, fail)
    }

    /// Exact decimal arithmetic: `integer.fraction × unit`, truncating below 1 ns.
    private func nanoseconds(
        _ integerDigits: [UInt8], _ fractionDigits: [UInt8], _ unit: Int128,
        _ fail: (String) -> DurationParseError
    ) throws(DurationParseError) -> Int128 {
        var integer: Int128 = 0
        for digit in integerDigits {
            integer = integer * 10 + Int128(digit)
            guard integer * unit <= DurationParser.maximumNanoseconds else {
                throw fail("too large (maximum is about 292 years)")
            }
        }
        // Digits beyond the 18th cannot change the result by a whole nanosecond.
        var fraction: Int128 = 0
        var scale: Int128 = 1
        for digit in fractionDigits.prefix(18) {
            fraction = fraction * 10 + Int128(digit)
            scale *= 10
        }
        return integer * unit + fraction * unit / scale
    }

    private func peek() -> Unicode.Scalar? {
        index < scalars.count ? scalars[index] : nil
    }

    private mutating func readDigits() -> [UInt8] {
        var digits: [UInt8] = []
        while let scalar = peek(), ("0"..."9").contains(scalar) {
            digits.append(UInt8(scalar.value - 48))
            index += 1
        }
        return digits
    }

    /// Reads everything up to the next digit or dot; anything that is not a known unit
    /// (including spaces or uppercase) is then reported as an unknown unit.
    private mutating func readUnit() -> String {
        var unit = String.UnicodeScalarView()
        while let scalar = peek(), !("0"..."9").contains(scalar), scalar != "." {
            unit.append(scalar)
            index += 1
        }
        return String(unit)
    }
}
