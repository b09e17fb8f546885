/// A JSON value together with the position where it starts in the source.
public struct JSONNode: Sendable, Equatable {
    /// The value.
    public var value: JSONValue
    /// Where the value's first character is (an opening brace, quote, digit, ...).
    public var position: SourcePosition

    /// Creates a node from a value and its position.
    public init(value: JSONValue, position: SourcePosition) {
        self.value = value
        self.position = position
    }
}
