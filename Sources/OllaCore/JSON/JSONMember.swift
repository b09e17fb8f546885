/// One `"key": value` member of a JSON object.
public struct JSONMember: Sendable, Equatable {
    /// The decoded key.
    public var key: String
    /// Where the key's opening quote is; errors about the key itself point here.
    public var keyPosition: SourcePosition
    /// The member's value.
    public var node: JSONNode

    /// Creates a member.
    public init(key: String, keyPosition: SourcePosition, node: JSONNode) {
        self.key = key
        self.keyPosition = keyPosition
        self.node = node
    }
}
