/// Parses Go-style duration strings such as `"30s"`, `"1.5s"`, `"1h30m"` or `"250ms"`,
/// the format Olla's YAML configuration uses.
///
/// A duration is one or more `<number><unit>` parts; the number may have a fraction and
/// the unit is one of `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`. A unit is required except
/// for the bare `"0"`. Negative durations are rejected: no setting means "before now".
public enum DurationParser {
    /// Nanoseconds per unit, longest spellings matched as whole words.
    static let unitNanoseconds: [String: Int128] = [
        "ns": 1,
        "us": 1_000, "µs": 1_000, "μs": 1_000,  // U+00B5 micro sign and U+03BC mu
        "ms": 1_000_000,
        "s": 1_000_000_000,
        "m": 60 * 1_000_000_000,
        "h": 3_600 * 1_000_000_000,
    ]

    /// The largest accepted duration: `Int64.max` nanoseconds (about 292 years), the same
    /// bound as Go's `time.Duration`.
    static let maximumNanoseconds = Int128(Int64.max)

    /// Parses `text` into a `Duration`.
    public static func parse(_ text: String) throws(DurationParseError) -> Duration {
        if text == "0" {
            return .zero
        }
        let fail = { (reason: String) in DurationParseError(input: text, reason: reason) }
        guard !text.isEmpty else { throw fail("empty string") }
        if text.hasPrefix("-") { throw fail("negative durations are not allowed") }

        var cursor = DurationCursor(text: text)
        var total: Int128 = 0
        while !cursor.isAtEnd {
            total += try cursor.nextPartNanoseconds(fail)
            guard total <= maximumNanoseconds else { throw fail("too large (maximum is about 292 years)") }
        }
        return .nanoseconds(Int64(total))
    }
}
