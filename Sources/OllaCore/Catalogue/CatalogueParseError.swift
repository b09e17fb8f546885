/// A response from an endpoint's model API that Olla cannot use: not JSON, or JSON of
/// the wrong shape.
public struct CatalogueParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The API whose response this was, e.g. `/api/tags`.
    public let document: String
    /// Where in the body the problem is; nil when it concerns the body as a whole.
    public let position: SourcePosition?
    /// What was wrong, e.g. `models[2].size must be an integer, found string "4 GB"`.
    public let message: String

    /// Creates an error.
    public init(document: String, position: SourcePosition?, message: String) {
        self.document = document
        self.position = position
        self.message = message
    }

    /// `/api/tags response, line 1, column 40: models[2].size must be an integer, ...`.
    public var description: String {
        var text = document + " response"
        if let position {
            text += ", line \(position.line), column \(position.column)"
        }
        return text + ": " + message
    }
}
