/// The `logging` section.
public struct LoggingConfig: Sendable, Equatable {
    /// `level`: the least severe level written. Default `.info`.
    public var level: LogLevel
    /// `format`: `.json` (default) or `.logfmt`.
    public var format: LogFormat
    /// `output`: `.stdout` (default) or `.stderr`.
    public var output: LogOutput

    /// Creates a logging configuration; every parameter defaults to the documented default.
    public init(level: LogLevel = .info, format: LogFormat = .json, output: LogOutput = .stdout) {
        self.level = level
        self.format = format
        self.output = output
    }

    /// The configuration used when the section is absent.
    public static let defaults = LoggingConfig()
}
