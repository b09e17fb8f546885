import Logging
import OllaCore

/// A log handler that writes access-log lines from their fields (`AccessLogLine`) instead of
/// from a `Logger.Metadata` dictionary: the daemon's line handler is one. The engine asks its
/// logger's handler for this once; with any other handler the line goes through swift-log
/// as an `info` event `request` whose metadata is `AccessLogLine.metadata`.
public protocol AccessLogWriter: Sendable {
    /// Writes `line` as the `info` event `request` with the line's fields as its metadata,
    /// the bytes swift-log's path would give. The caller has checked the level.
    func writeAccessLine(_ line: AccessLogLine)
}

extension AccessLogLine {
    /// The fields as swift-log metadata: strings as strings, numbers as `Int64` values
    /// (`.stringConvertible`), as the line formatter writes them.
    public var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        forEachField { key, value in
            switch value {
            case .text(let text): metadata["\(key.name)"] = .string(text)
            case .number(let number): metadata["\(key.name)"] = .stringConvertible(number)
            }
        }
        return metadata
    }
}

extension Logger {
    /// Writes an access-log line through `writer` when the handler is one, else as an
    /// `info` event `request` with the line's metadata.
    func access(_ line: AccessLogLine, writer: (any AccessLogWriter)?) {
        if let writer {
            writer.writeAccessLine(line)
        } else {
            info("request", metadata: line.metadata)
        }
    }
}
