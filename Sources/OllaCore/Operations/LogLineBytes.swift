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
        appendPadded(year, width: 4, to: &output)
        output.append(UInt8(ascii: "-"))
        appendPadded(month, width: 2, to: &output)
        output.append(UInt8(ascii: "-"))
        appendPadded(day, width: 2, to: &output)
        output.append(UInt8(ascii: "T"))
        appendPadded(hour, width: 2, to: &output)
        output.append(UInt8(ascii: ":"))
        appendPadded(minute, width: 2, to: &output)
        output.append(UInt8(ascii: ":"))
        appendPadded(second, width: 2, to: &output)
        output.append(UInt8(ascii: "."))
        appendPadded(millisecond, width: 3, to: &output)
        output.append(UInt8(ascii: "Z"))
    }

    /// Appends `value` in decimal, as `String(value)` writes it.
    public static func appendDecimal(_ value: Int, to output: inout [UInt8]) {
        appendPadded(value, width: 0, to: &output)
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
