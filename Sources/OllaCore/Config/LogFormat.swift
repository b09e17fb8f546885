/// `logging.format`: how log lines are rendered.
public enum LogFormat: String, ConfigChoice {
    /// One JSON object per line.
    case json
    /// `key=value` pairs per line.
    case logfmt

    /// Go Olla calls its human-readable format "text".
    public static let aliases: [String: LogFormat] = ["text": .logfmt]
}
