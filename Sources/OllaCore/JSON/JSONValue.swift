/// A parsed JSON value. Containers hold `JSONNode`s so every element keeps its position.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number, kept with its source text so integers are read exactly.
    case number(JSONNumber)
    case string(String)
    case array([JSONNode])
    /// Object members in source order; duplicate keys are kept so callers can reject them.
    case object([JSONMember])
}
