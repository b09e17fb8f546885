/// Reads a backend's response head one line at a time, as libcurl's header callback hands
/// the lines over (CRLF included), and yields the final head at its blank line.
///
/// Interim answers (`100 Continue`, `103 Early Hints`; RFC 9110 §15.2) are followed by
/// the real head and are dropped. Lines are parsed as bytes: header lines are ASCII, and
/// this runs for every line of every response. A backend is outside input: any byte
/// sequence gives a head or nothing, never a trap.
public struct ResponseHeadParser: Sendable {
    /// A complete response head: the status code (0...999) and the header fields in order.
    public typealias Head = (status: Int, headers: [HTTPHeader])

    private var status: Int?
    private var headers: [HTTPHeader] = []

    /// Creates a parser waiting for a status line.
    public init() {}

    /// Feeds one line; returns the head when `line` is the blank line that ends a final
    /// (non-interim) head that had a status line, nil otherwise.
    public mutating func consume(_ line: UnsafeRawBufferPointer) -> Head? {
        var end = line.count
        while end > 0 && (line[end - 1] == 0x0A || line[end - 1] == 0x0D) { end -= 1 }
        if end == 0 { return endOfHead() }
        let bytes = UnsafeRawBufferPointer(rebasing: line[..<end])
        if Self.startsWithHTTP(bytes) {
            status = Self.parseStatus(bytes)
            headers.removeAll(keepingCapacity: true)
            // One allocation for a usual head (Ollama sends 3-4 fields, a proxy in front a few
            // more) instead of growing through 1, 2, 4 and 8.
            headers.reserveCapacity(8)
            return nil
        }
        // A word at a time (the generic `firstIndex(of:)` cost ~75 instructions per line).
        guard let colon = ByteSearch.firstIndex(of: UInt8(ascii: ":"), in: bytes, 0..<end) else { return nil }
        var valueStart = colon + 1
        while valueStart < end && (bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09) { valueStart += 1 }
        var valueEnd = end
        while valueEnd > valueStart && (bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09) { valueEnd -= 1 }
        // Common names and values (`Content-Type`, `Date`, `keep-alive`...) are handed out as
        // literals, not decoded (`HeaderText`).
        headers.append(HTTPHeader(HeaderText.decode(UnsafeRawBufferPointer(rebasing: bytes[..<colon])),
                        HeaderText.decode(UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd]))))
        return nil
    }

    /// Whether `line` starts with `HTTP/` (a status line), compared on the bytes: the generic
    /// `starts(with:)` against an array, a lazy global, cost ~100 instructions per line.
    static func startsWithHTTP(_ line: UnsafeRawBufferPointer) -> Bool {
        ByteSearch.hasPrefix(Self.statusLinePrefix.bytes, in: line, at: 0)
    }

    private static let statusLinePrefix: StaticString = "HTTP/"

    private mutating func endOfHead() -> Head? {
        guard let status else { return nil }
        // Interim answers (100 Continue, 103 Early Hints) are followed by the real head;
        // 101 Switching Protocols is final.
        if status >= 100 && status < 200 && status != 101 {
            self.status = nil
            headers.removeAll()
            return nil
        }
        self.status = nil
        defer { headers.removeAll() }
        return (status, headers)
    }

    /// The three digits after the first space of a status line (`HTTP/1.1 200 OK`), past
    /// any more white space (space, tab, VT, FF, CR, LF: C's `isspace`); nil when they are
    /// not three digits.
    ///
    /// Why the extra white space: libcurl reads the code with `sscanf`'s `%3d`, which skips it,
    /// so it takes `HTTP/1.1  200 OK` (two spaces) as a 200 and goes on to the body. Read the
    /// same way here, such an answer passes through as the backend meant it; a status line
    /// libcurl takes and this does not read still ends its transfer as a 502
    /// (`Transfer.bodyReceived` in OllaUpstream).
    static func parseStatus(_ line: UnsafeRawBufferPointer) -> Int? {
        guard var index = line.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        index += 1
        while index < line.count && (line[index] == 0x20 || (0x09...0x0D).contains(line[index])) { index += 1 }
        guard index + 3 <= line.count else { return nil }
        var status = 0
        for digit in line[index..<(index + 3)] {
            guard digit >= UInt8(ascii: "0") && digit <= UInt8(ascii: "9") else { return nil }
            status = status * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return status
    }
}
