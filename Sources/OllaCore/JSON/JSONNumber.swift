/// A JSON number as written in the source plus its floating-point value.
///
/// Keeping the text matters because `Double` cannot represent every 64-bit integer;
/// configuration values such as byte sizes are read through `integerValue` instead.
public struct JSONNumber: Sendable, Equatable, CustomStringConvertible {
    /// The number exactly as written, e.g. `104857600`, `-1.5` or `1e3`.
    public let text: String
    /// The nearest `Double`; infinite when the literal exceeds `Double`'s range.
    public let doubleValue: Double

    /// Creates a number from its (already validated) JSON text.
    public init(text: String) {
        self.text = text
        self.doubleValue = Double(text) ?? .nan
    }

    /// The value as an `Int` when written as a plain integer (no fraction or exponent)
    /// that fits; nil otherwise.
    public var integerValue: Int? { Int(text) }

    /// Whether the literal is written as an integer (digits with an optional minus sign),
    /// regardless of whether it fits in an `Int`.
    public var isWrittenAsInteger: Bool {
        !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
    }

    /// The literal's source text.
    public var description: String { text }
}
