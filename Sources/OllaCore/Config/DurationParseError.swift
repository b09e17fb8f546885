/// A duration string that does not follow the `"1h30m"` / `"500ms"` syntax.
public struct DurationParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that was rejected.
    public let input: String
    /// Why it was rejected, e.g. `missing unit after "5"`.
    public let reason: String

    /// Creates an error for `input`.
    public init(input: String, reason: String) {
        self.input = input
        self.reason = reason
    }

    /// `invalid duration "TEXT": REASON`.
    public var description: String { "invalid duration \"\(input)\": \(reason)" }
}
