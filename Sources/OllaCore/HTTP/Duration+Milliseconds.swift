/// Whole-unit views of a `Duration` for C APIs, headers and logs, which count in
/// milliseconds or seconds.
extension Duration {
    private static let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000

    /// Whole milliseconds, truncated. Through `secondsAndAttoseconds`: `components`' values
    /// without its 128-bit division for the durations of a request (two per access-log line).
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = secondsAndAttoseconds
        return seconds * 1000 + attoseconds / Self.attosecondsPerMillisecond
    }

    /// Milliseconds rounded up, 0 for durations not above zero. A wait truncated to 0 ms
    /// before a deadline 0.4 ms away would spin instead of sleeping.
    public var millisecondsRoundedUp: Int {
        guard self > .zero else { return 0 }
        let remainder = components.attoseconds % Self.attosecondsPerMillisecond
        return Int(wholeMilliseconds) + (remainder > 0 ? 1 : 0)
    }

    /// Seconds rounded up: "500ms" must not become 0 where 0 means "no limit".
    public var secondsRoundedUp: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }
}
