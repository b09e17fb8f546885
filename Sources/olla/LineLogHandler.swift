import Glibc
import Logging
import OllaCore
import Synchronization

/// Writes one log line per event, as JSON or logfmt, to stdout or stderr.
///
/// Lines go out with a single `write(2)` each, so lines from different threads never
/// interleave; the mutex only orders them.
struct LineLogHandler: LogHandler {
    enum Format: Sendable { case json, logfmt }

    private static let writeLock = Mutex(())

    let label: String
    let format: Format
    let fd: Int32
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let line = format == .json
            ? Self.json(level: event.level, message: "\(event.message)", metadata: merged)
            : Self.logfmt(level: event.level, message: "\(event.message)", metadata: merged)
        Self.writeLock.withLock { _ in
            var bytes = Array(line.utf8)
            bytes.append(UInt8(ascii: "\n"))
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
        }
    }

    static func json(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = #"{"time":""# + Timestamp.now() + #"","level":""# + level.rawValue + #"","msg":"#
            + quote(message)
        for key in metadata.keys.sorted() {
            line += "," + quote(key) + ":" + jsonValue(metadata[key]!)
        }
        return line + "}"
    }

    static func logfmt(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = "time=" + Timestamp.now() + " level=" + level.rawValue + " msg=" + logfmtValue(message)
        for key in metadata.keys.sorted() {
            line += " " + key + "=" + logfmtValue("\(metadata[key]!)")
        }
        return line
    }

    /// Numbers recorded as `.stringConvertible` stay JSON numbers; everything else is a string.
    private static func jsonValue(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .stringConvertible(let number) where number is any BinaryInteger || number is Double:
            return "\(number)"
        case .array(let items):
            return "[" + items.map(jsonValue).joined(separator: ",") + "]"
        case .dictionary(let entries):
            return "{" + entries.keys.sorted().map { quote($0) + ":" + jsonValue(entries[$0]!) }
                .joined(separator: ",") + "}"
        default:
            return quote("\(value)")
        }
    }

    private static func logfmtValue(_ text: String) -> String {
        let plain = !text.isEmpty && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != "=" }
        return plain ? text : quote(text)
    }

    /// Log lines are read by people and log shippers, not browsers: `<`, `>` and `&` stay.
    private static func quote(_ text: String) -> String {
        JSONString.quote(text, escapingHTML: false)
    }
}

/// RFC 3339 UTC timestamps with milliseconds, without Foundation.
enum Timestamp {
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(parts.tm_year + 1900, 4) + "-" + pad(parts.tm_mon + 1, 2) + "-" + pad(parts.tm_mday, 2)
            + "T" + pad(parts.tm_hour, 2) + ":" + pad(parts.tm_min, 2) + ":" + pad(parts.tm_sec, 2)
            + "." + pad(Int32(spec.tv_nsec / 1_000_000), 3) + "Z"
    }
}
