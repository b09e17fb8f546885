import Glibc

/// Where the records of a streamed response end: one JSON line of NDJSON (Ollama's native
/// streams) or one event of server-sent events (the OpenAI, Anthropic and Responses streams).
///
/// Olla sends each record as one HTTP chunk, as Ollama does (its Go server flushes after
/// every line): some clients parse one JSON value per read and fail on two records in one
/// chunk (`trailing characters`) or on half of one.
public enum RecordFraming: Sendable, Equatable {
    /// `application/x-ndjson`: a record ends with `\n`.
    case ndjson
    /// `text/event-stream`: an event ends with a blank line (`\n\n` or `\r\n\r\n`; WHATWG
    /// HTML "Server-sent events", §9.2.6).
    case serverSentEvents

    /// The framing of a response with this `Content-Type`, or nil for one without records:
    /// the media type before any `;`, spaces and tabs left out, compared without case.
    public init?(contentType: String?) {
        guard var contentType else { return nil }
        // Once per streamed answer. An ASCII value (every real one) is read as bytes: the
        // same steps on Characters (`split`, `filter`, `lowercased`) cost ~24 K instructions.
        // Anything else takes those steps, which define the result.
        let mediaType = contentType.withUTF8 { Self.asciiMediaType($0) } ?? Self.mediaType(ofUnicode: contentType)
        switch mediaType {
        case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/jsonlines":
            self = .ndjson
        case "text/event-stream":
            self = .serverSentEvents
        default:
            return nil
        }
    }

    /// The media type as the Character steps below make it, for an all-ASCII value (nil for
    /// any other): the first run of bytes between `;`s that is not empty (`split` leaves
    /// empty ones out: `;text/event-stream` is an event stream), without spaces and tabs,
    /// lowercased.
    static func asciiMediaType(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        // The longest media type a framing has is 21 bytes: a longer one is no match, and a
        // fixed 24-byte buffer needs no allocation.
        var kept: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let capacity = MemoryLayout.size(ofValue: kept)
        var count = 0
        var begun = false
        var ended = false
        for byte in bytes {
            guard byte < 0x80 else { return nil }  // Characters decide (a `;` with a combining mark is no separator)
            if ended { continue }
            if byte == UInt8(ascii: ";") {
                ended = begun
                continue
            }
            begun = true
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"): continue
            default:
                if count < capacity {
                    let lower = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
                    withUnsafeMutableBytes(of: &kept) { $0[count] = lower }
                }
                count += 1
            }
        }
        // Too long for any framing: a value no case matches.
        guard count <= capacity else { return "" }
        return withUnsafeBytes(of: &kept) { String(decoding: $0.prefix(count), as: UTF8.self) }
    }

    /// The media type from Characters: what `asciiMediaType` reproduces for ASCII values.
    static func mediaType(ofUnicode contentType: String) -> String {
        contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.filter { $0 != " " && $0 != "\t" }.lowercased()
        } ?? ""
    }

    /// The length of the first complete record at the start of `bytes`, its terminator
    /// included, or nil when no record is complete yet.
    /// This runs once per forwarded record, over the whole record: line feeds are found
    /// sixteen bytes per step (`firstLineFeed`).
    public func firstRecordEnd(in bytes: UnsafeRawBufferPointer) -> Int? {
        var from = 0
        while let index = Self.firstLineFeed(in: bytes, from: from) {
            switch self {
            case .ndjson:
                return index + 1
            case .serverSentEvents:
                if index + 1 < bytes.count, bytes[index + 1] == lineFeed { return index + 2 }
                if index + 2 < bytes.count, bytes[index + 1] == carriageReturn, bytes[index + 2] == lineFeed {
                    return index + 3
                }
            }
            from = index + 1
        }
        return nil
    }

    /// The first line feed at or after `start`, or nil: glibc's `memchr` (vectorised for the
    /// CPU it runs on), about 0.04 K instructions per forwarded NDJSON record of ~150 bytes,
    /// where sixteen-byte SIMD compares in Swift cost ~0.17 K and words alone 0.26 K
    /// (`make bench-instructions`, chunk case).
    static func firstLineFeed(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, start < bytes.count,
              let found = memchr(base + start, Int32(lineFeed), bytes.count - start) else { return nil }
        return UnsafeRawPointer(found) - base
    }

    /// How many leading bytes may go out while the last record is held back: everything
    /// before the last complete line when `bytes` ends with one, everything up to the last
    /// line end otherwise (bytes after it show that line was not the last). 0 when only one
    /// line (or part of one) is there.
    /// Runs on every read of a held answer over all the bytes queued, so line feeds are found
    /// a word at a time (`ByteSearch`): a byte loop cost ~7 instructions per queued byte per
    /// read on an answer without line feeds.
    public static func endBeforeFinalLine(in bytes: UnsafeRawBufferPointer) -> Int {
        guard var index = ByteSearch.lastIndex(of: lineFeed, in: bytes, 0..<bytes.count) else { return 0 }
        if index == bytes.count - 1 {
            guard let previous = ByteSearch.lastIndex(of: lineFeed, in: bytes, 0..<index) else { return 0 }
            index = previous
        }
        return index + 1
    }

    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private var lineFeed: UInt8 { Self.lineFeed }
    private var carriageReturn: UInt8 { Self.carriageReturn }
}
