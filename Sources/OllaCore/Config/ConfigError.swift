/// A problem with a configuration file, pointing at the file, line and key involved.
///
/// Rendered as `<source>:<line>: <keyPath>: <message>`, leaving out parts that are nil:
///
///     config.json:3: server.prot: unknown key; did you mean 'port'? (valid keys: host, port, ...)
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file path (or other name) the configuration was read from.
    public let source: String
    /// The 1-based line of the offending key or value, when known.
    public let line: Int?
    /// The dotted path of the offending key, e.g. `discovery.static.endpoints[1].url`.
    public let keyPath: String?
    /// What is wrong and, where possible, how to fix it.
    public let message: String

    /// Creates an error.
    public init(source: String, line: Int? = nil, keyPath: String? = nil, message: String) {
        self.source = source
        self.line = line
        self.keyPath = keyPath
        self.message = message
    }

    /// `file:line: key.path: message`, the form every configuration error is printed in.
    public var description: String {
        var location = source
        if let line {
            location += ":\(line)"
        }
        return [location, keyPath, message].compactMap { $0 }.joined(separator: ": ")
    }
}
