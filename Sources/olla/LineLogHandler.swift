import Glibc
import Logging
import OllaCore
import OllaEngine
import Synchronization

/// Writes one log line per event, as JSON or logfmt, to stdout or stderr.
///
/// Lines go out with a single `write(2)` each, so lines from different threads never
/// interleave; the mutex only orders them.
struct LineLogHandler: LogHandler, AccessLogWriter {
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
        write(level: event.level, message: "\(event.message)", metadata: event.metadata)
    }

    /// An access-log line, written from its fields (no metadata dictionary, no sort): the
    /// bytes `log(event:)` writes for the event `request` with the line's metadata.
    func writeAccessLine(_ line: AccessLogLine) {
        guard metadata.isEmpty else {
            // The handler's own metadata joins the line's: the general path sorts them together.
            write(level: .info, message: "request", metadata: line.metadata)
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(320)
        switch format {
        case .json:
            bytes.append(contentsOf: #"{"time":""#.utf8)
            Timestamp.append(to: &bytes)
            bytes.append(contentsOf: #"","level":"info","msg":"request""#.utf8)
            line.appendJSONMembers(to: &bytes)
            bytes.append(UInt8(ascii: "}"))
        case .logfmt:
            bytes.append(contentsOf: "time=".utf8)
            Timestamp.append(to: &bytes)
            bytes.append(contentsOf: " level=info msg=request".utf8)
            line.appendLogfmtFields(to: &bytes)
        }
        bytes.append(UInt8(ascii: "\n"))
        Self.emit(bytes, to: fd)
    }

    private func write(level: Logger.Level, message: String, metadata extra: Logger.Metadata?) {
        // The handler's own metadata is usually empty: then the event's is used as it is,
        // without merging two dictionaries per line.
        let merged: Logger.Metadata
        if metadata.isEmpty {
            merged = extra ?? [:]
        } else {
            var both = metadata
            if let extra { both.merge(extra) { $1 } }
            merged = both
        }
        var bytes: [UInt8]
        if format == .json {
            bytes = Self.jsonBytes(level: level, message: message, metadata: merged)
        } else {
            bytes = Array(Self.logfmt(level: level, message: message, metadata: merged).utf8)
        }
        bytes.append(UInt8(ascii: "\n"))
        Self.emit(bytes, to: fd)
    }

    /// Writes `bytes` with as few `write(2)` calls as it takes, one line at a time.
    private static func emit(_ bytes: [UInt8], to fd: Int32) {
        writeLock.withLock { _ in
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

    /// The JSON line, written into one byte buffer: no String per piece (an access-log line
    /// cost ~95 K instructions built from Strings).
    static func jsonBytes(level: Logger.Level, message: String, metadata: Logger.Metadata) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(contentsOf: #"{"time":""#.utf8)
        Timestamp.append(to: &line)
        line.append(contentsOf: #"","level":""#.utf8)
        line.append(contentsOf: level.rawValue.utf8)
        line.append(contentsOf: #"","msg":"#.utf8)
        JSONString.append(message, to: &line, escapingHTML: false)
        for key in metadata.keys.sorted() {
            line.append(UInt8(ascii: ","))
            JSONString.append(key, to: &line, escapingHTML: false)
            line.append(UInt8(ascii: ":"))
            appendJSONValue(metadata[key]!, to: &line)
        }
        line.append(UInt8(ascii: "}"))
        return line
    }

    static func logfmt(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = "time=" + Timestamp.now() + " level=" + level.rawValue + " msg=" + logfmtValue(message)
        for key in metadata.keys.sorted() {
            line += " " + key + "=" + logfmtValue("\(metadata[key]!)")
        }
        return line
    }

    /// Numbers recorded as `.stringConvertible` stay JSON numbers; everything else is a string.
    /// `Int` and `Int64` (what the access log records) are written without the dynamic cast
    /// to `any BinaryInteger` or a String.
    private static func appendJSONValue(_ value: Logger.Metadata.Value, to output: inout [UInt8]) {
        switch value {
        case .string(let text):
            JSONString.append(text, to: &output, escapingHTML: false)
        case .stringConvertible(let number as Int):
            LogLineBytes.appendDecimal(number, to: &output)
        case .stringConvertible(let number as Int64):
            LogLineBytes.appendDecimal(Int(number), to: &output)
        case .stringConvertible(let number) where number is any BinaryInteger || number is Double:
            output.append(contentsOf: "\(number)".utf8)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                appendJSONValue(item, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .dictionary(let entries):
            output.append(UInt8(ascii: "{"))
            for (index, key) in entries.keys.sorted().enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                JSONString.append(key, to: &output, escapingHTML: false)
                output.append(UInt8(ascii: ":"))
                appendJSONValue(entries[key]!, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        default:
            JSONString.append("\(value)", to: &output, escapingHTML: false)
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
        var bytes: [UInt8] = []
        append(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the current time, `2026-11-30T12:34:56.789Z` (the calendar arithmetic is
    /// `LogLineBytes`', not `gmtime_r`'s).
    static func append(to output: inout [UInt8]) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        LogLineBytes.appendTimestamp(unixSeconds: Int(spec.tv_sec), nanoseconds: Int(spec.tv_nsec), to: &output)
    }
}
