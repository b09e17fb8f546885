/// An instant read from (or written as) an RFC 3339 timestamp such as Ollama's
/// `"2024-05-01T10:22:33.123456789-07:00"`, held as Unix seconds plus nanoseconds.
///
/// Parsed by hand because OllaCore does not use Foundation. Ordering compares the
/// instant, so timestamps written with different offsets compare correctly.
public struct RFC3339Timestamp: Sendable, Hashable, Comparable {
    /// Whole seconds since 1970-01-01T00:00:00Z (negative before it).
    public var unixSeconds: Int
    /// The fraction of the second, 0 ..< 1_000_000_000.
    public var nanoseconds: Int

    /// Creates a timestamp from Unix seconds and a fraction in nanoseconds.
    public init(unixSeconds: Int, nanoseconds: Int = 0) {
        self.unixSeconds = unixSeconds
        self.nanoseconds = nanoseconds
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil when `text` is not one.
    ///
    /// Accepts `t`/space for the `T` and `z` for `Z` (RFC 3339 allows them) and any number
    /// of fraction digits (beyond nine they are truncated, as Go does). Rejects out-of-range
    /// fields such as month 13, February 30 or second 60.
    public init?(parsing text: String) {
        var cursor = Cursor(bytes: Array(text.utf8))
        guard let year = cursor.digits(4), cursor.take("-"),
              let month = cursor.digits(2), cursor.take("-"),
              let day = cursor.digits(2), cursor.takeAny("Tt "),
              let hour = cursor.digits(2), cursor.take(":"),
              let minute = cursor.digits(2), cursor.take(":"),
              let second = cursor.digits(2)
        else { return nil }
        guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60
        else { return nil }
        var nanoseconds = 0
        if cursor.take(".") {
            guard let fraction = cursor.fraction() else { return nil }
            nanoseconds = fraction
        }
        guard let offset = cursor.utcOffset(), cursor.isAtEnd else { return nil }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        self.unixSeconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset
        self.nanoseconds = nanoseconds
    }

    /// The timestamp in UTC as Go's `time.RFC3339Nano` writes it: `Z` for the offset, the
    /// fraction without trailing zeros and none at all when it is zero
    /// (`2024-05-01T17:22:33.5Z`, `1970-01-01T00:00:00Z`). Nil for years outside
    /// 0000...9999, which RFC 3339 cannot express.
    public var rfc3339: String? {
        let days = unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400
        let secondOfDay = unixSeconds - days * 86_400
        let date = Self.civilFromDays(days)
        guard (0...9_999).contains(date.year) else { return nil }
        var text = Self.padded(date.year, 4) + "-" + Self.padded(date.month, 2) + "-" + Self.padded(date.day, 2)
        text += "T" + Self.padded(secondOfDay / 3_600, 2) + ":" + Self.padded(secondOfDay / 60 % 60, 2)
        text += ":" + Self.padded(secondOfDay % 60, 2)
        if nanoseconds > 0 {
            var fraction = Self.padded(nanoseconds, 9)
            while fraction.last == "0" { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }

    /// Earlier instants sort first (seconds, then nanoseconds; the offset is already applied).
    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.unixSeconds, lhs.nanoseconds) < (rhs.unixSeconds, rhs.nanoseconds)
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
