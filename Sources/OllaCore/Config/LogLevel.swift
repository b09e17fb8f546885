/// `logging.level`: the least severe level that is written.
public enum LogLevel: String, ConfigChoice, Comparable {
    case trace
    case debug
    case info
    case warn
    case error

    /// `warning` is accepted for `warn`.
    public static let aliases: [String: LogLevel] = ["warning": .warn]

    /// Ordered by severity, `trace` lowest.
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
