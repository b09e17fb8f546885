/// Renders a `Duration` in the same style `DurationParser` reads, for logs, docs and
/// error messages: `"10m"`, `"1m30s"`, `"1.5s"`, `"500ms"`, `"250us"`, `"0s"`.
///
/// Zero components are left out (`"1h"` rather than Go's `"1h0m0s"`) and sub-second
/// values use the largest unit that keeps the number at least 1. Sub-nanosecond
/// precision is dropped.
public enum DurationFormatter {
    /// Formats `duration`; negative values get a leading `-`.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Int128(seconds) * 1_000_000_000 + Int128(attoseconds) / 1_000_000_000
        if nanoseconds < 0 {
            return "-" + format(nanoseconds: -nanoseconds)
        }
        return format(nanoseconds: nanoseconds)
    }

    private static func format(nanoseconds: Int128) -> String {
        switch nanoseconds {
        case 0: return "0s"
        case ..<1_000: return "\(nanoseconds)ns"
        case ..<1_000_000: return decimal(nanoseconds, per: 1_000) + "us"
        case ..<1_000_000_000: return decimal(nanoseconds, per: 1_000_000) + "ms"
        default: return hoursMinutesSeconds(nanoseconds)
        }
    }

    private static func hoursMinutesSeconds(_ nanoseconds: Int128) -> String {
        let nanosecondsPerMinute: Int128 = 60 * 1_000_000_000
        let hours = nanoseconds / (60 * nanosecondsPerMinute)
        let minutes = nanoseconds / nanosecondsPerMinute % 60
        let rest = nanoseconds % nanosecondsPerMinute
        var text = ""
        if hours > 0 { text += "\(hours)h" }
        if minutes > 0 { text += "\(minutes)m" }
        if rest > 0 { text += decimal(rest, per: 1_000_000_000) + "s" }
        return text
    }

    /// `value / unit` as a decimal without trailing zeros, e.g. 1500 per 1000 → "1.5".
    private static func decimal(_ value: Int128, per unit: Int128) -> String {
        let whole = value / unit
        let remainder = value % unit
        guard remainder > 0 else { return "\(whole)" }
        let width = String(unit).count - 1
        var fraction = String(remainder)
        fraction = String(repeating: "0", count: width - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(whole).\(fraction)"
    }
}
