/// Why a text is not a valid CIDR range.
public struct CIDRParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that failed to parse.
    public let text: String
    /// What is wrong with it.
    public let reason: String

    /// Creates an error for `text`.
    public init(text: String, reason: String) {
        self.text = text
        self.reason = reason
    }

    /// `invalid CIDR "TEXT": REASON`.
    public var description: String { "invalid CIDR \"\(text)\": \(reason)" }
}
