extension RFC3339Timestamp {
    /// A forward-only reader over the ASCII bytes of a timestamp.
    struct Cursor {
        let bytes: [UInt8]
        var index = 0

        var isAtEnd: Bool { index == bytes.count }

        /// Exactly `count` decimal digits as a number.
        mutating func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<(index + count)] {
                guard JSONByte.isDigit(byte) else { return nil }
                value = value * 10 + Int(byte - JSONByte.zero)
            }
            index += count
            return value
        }

        /// One or more fraction digits as nanoseconds; digits past the ninth are dropped.
        mutating func fraction() -> Int? {
            var nanoseconds = 0
            var count = 0
            while index < bytes.count, JSONByte.isDigit(bytes[index]) {
                if count < 9 {
                    nanoseconds = nanoseconds * 10 + Int(bytes[index] - JSONByte.zero)
                }
                count += 1
                index += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 9) {
                nanoseconds *= 10
            }
            return nanoseconds
        }

        /// `Z`/`z` (0) or `±HH:MM` as seconds east of UTC.
        mutating func utcOffset() -> Int? {
            if takeAny("Zz") { return 0 }
            guard index < bytes.count else { return nil }
            let sign: Int
            switch bytes[index] {
            case JSONByte.plus: sign = 1
            case JSONByte.minus: sign = -1
            default: return nil
            }
            index += 1
            guard let hours = digits(2), take(":"), let minutes = digits(2), hours < 24, minutes < 60 else { return nil }
            return sign * (hours * 3_600 + minutes * 60)
        }

        /// Consumes `character` (ASCII) if it is next.
        mutating func take(_ character: Unicode.Scalar) -> Bool {
            takeAny(String(character))
        }

        /// Consumes the next byte if it is one of the ASCII `characters`.
        mutating func takeAny(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
    }
}
