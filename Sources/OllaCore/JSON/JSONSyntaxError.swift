/// A violation of the JSON grammar (RFC 8259), with the position where it was noticed.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line of the offending character (or of the end of input).
    public let line: Int
    /// 1-based column, counted in Unicode scalars.
    public let column: Int
    /// What was wrong, e.g. `expected ',' or '}' after object member`.
    public let message: String

    /// Creates an error at a position.
    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    /// `line L, column C: message`.
    public var description: String { "line \(line), column \(column): \(message)" }
}
