/// An extra HTTP header sent with every request to one endpoint (e.g. an API key).
public struct EndpointHeader: Sendable, Equatable {
    /// The header name, a valid HTTP token, as written in the file.
    public var name: String
    /// The header value, without CR or LF.
    public var value: String

    /// Creates a header. Validation happens when a configuration file is decoded.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
