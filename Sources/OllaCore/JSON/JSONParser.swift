/// A strict RFC 8259 JSON parser that records the source position of every value.
///
/// Strict means: no comments, no trailing commas, no leading zeros, no raw control
/// characters in strings, no unpaired surrogates, valid UTF-8 in strings and nothing
/// but whitespace after the top-level value. Positions make configuration errors
/// point at the right line.
public struct JSONParser: Sendable {
    /// The default nesting limit; deep enough for any real document, shallow enough that
    /// the recursive descent cannot exhaust the stack.
    public static let defaultMaxDepth = 512

    /// The maximum number of nested arrays/objects accepted.
    public let maxDepth: Int

    /// Creates a parser with a nesting limit.
    public init(maxDepth: Int = JSONParser.defaultMaxDepth) {
        self.maxDepth = max(1, maxDepth)
    }

    /// Parses a complete UTF-8 JSON document.
    public func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONNode {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(JSONSyntaxError) in
                var reader = Reader(bytes: buffer, maxDepth: maxDepth)
                return try reader.parseDocument()
            }
        }
        return try result.get()
    }
}
