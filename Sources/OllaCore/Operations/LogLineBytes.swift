/// The pieces of a log line written straight into bytes: the timestamp and decimal numbers
/// that the daemon's line formatter (`LineLogHandler`) used to build as Strings, padding
/// and concatenating (about 11 K instructions for the timestamp alone, per access-log line).
public enum LogLineBytes {
    /// Appends an RFC 3339 UTC timestamp with milliseconds, `2026-11-30T12:34:56.789Z`.
    /// Each field is written with at least its width in digits (4 for the year, 3 for the
    /// milliseconds, 2 for the others), zero-padded, as `String(value)` padded would read;
    /// a negative field is written as `String` writes it, after the padding zeros.
    public static func appendTimestamp(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int,
                                       millisecond: Int, to output: inout [UInt8]) {
        // Off the access log's path (out-of-range years and tests): the array costs nothing there.
        let fields = [(year, 4, "-"), (month, 2, "-"), (day, 2, "T"), (hour, 2, ":"), (minute, 2, ":"),
                      (second, 2, "."), (millisecond, 3, "Z")] as [(Int, Int, Unicode.Scalar)]
        for (value, width, separator) in fields {
            appendPadded(value, width: width, to: &output)
            output.append(UInt8(ascii: separator))
        }
    }

    /// Appends the UTC time `seconds` (and `nanoseconds`) after the Unix epoch as
    /// `appendTimestamp(year:...)` writes it, `2026-11-30T12:34:56.789Z` (what `gmtime_r`
    /// gives, without its call: Howard Hinnant's `civil_from_days`, proleptic Gregorian).
    public static func appendTimestamp(unixSeconds seconds: Int, nanoseconds: Int, to output: inout [UInt8]) {
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        // Days since 0000-03-01, in eras of 400 years (146,097 days).
        let shifted = days + 719_468
        let (era, dayOfEra) = floorDivision(shifted, 146_097)
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let millisecond = nanoseconds / 1_000_000
        guard (0...9_999).contains(year), (0...999).contains(millisecond) else {
            appendTimestamp(year: year, month: month, day: day, hour: secondOfDay / 3_600,
                            minute: secondOfDay % 3_600 / 60, second: secondOfDay % 60,
                            millisecond: millisecond, to: &output)
            return
        }
        // Every field fits its width: the 24 bytes are written on the stack and appended once.
        var text: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &text) { bytes in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var value = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    bytes[index] = UInt8(truncatingIfNeeded: 0x30 + value % 10)
                    value /= 10
                }
            }
            put(year, 4, at: 0)
            bytes[4] = UInt8(ascii: "-")
            put(month, 2, at: 5)
            bytes[7] = UInt8(ascii: "-")
            put(day, 2, at: 8)
            bytes[10] = UInt8(ascii: "T")
            put(secondOfDay / 3_600, 2, at: 11)
            bytes[13] = UInt8(ascii: ":")
            put(secondOfDay % 3_600 / 60, 2, at: 14)
            bytes[16] = UInt8(ascii: ":")
            put(secondOfDay % 60, 2, at: 17)
            bytes[19] = UInt8(ascii: ".")
            put(millisecond, 3, at: 20)
            bytes[23] = UInt8(ascii: "Z")
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<24]))
        }
    }

    /// `value / divisor` rounded down, and the remainder (`0..<divisor`); `divisor` > 0.
    private static func floorDivision(_ value: Int, _ divisor: Int) -> (Int, Int) {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    /// Appends `value` in decimal, as `String(value)` writes it.
    public static func appendDecimal(_ value: Int, to output: inout [UInt8]) {
        appendPadded(value, width: 0, to: &output)
    }

    /// Appends `value` in decimal, as `String(value)` writes it.
    public static func appendDecimal(_ value: Int64, to output: inout [UInt8]) {
        appendPadded(Int(value), width: 0, to: &output)
    }

    /// Appends a logfmt value: `text` itself when it is not empty and holds no byte up to
    /// the space, no `"` and no `=`; otherwise `text` quoted as a JSON string (no HTML escapes).
    public static func appendLogfmtValue(_ text: String, to output: inout [UInt8]) {
        var text = text
        let plain = text.withUTF8 { utf8 in
            !utf8.isEmpty && !utf8.contains { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") }
        }
        if plain {
            output.append(contentsOf: text.utf8)
        } else {
            JSONString.append(text, to: &output, escapingHTML: false)
        }
    }

    /// `value` in decimal after as many zeros as make `String(value)` `width` characters long.
    private static func appendPadded(_ value: Int, width: Int, to output: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 20 digits and a sign, on the stack
        withUnsafeMutableBytes(of: &digits) { buffer in
            var magnitude = value.magnitude
            var end = buffer.count
            repeat {
                end -= 1
                buffer[end] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                end -= 1
                buffer[end] = UInt8(ascii: "-")
            }
            let length = buffer.count - end
            if length < width {
                output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - length))
            }
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[end...]))
        }
    }
}
