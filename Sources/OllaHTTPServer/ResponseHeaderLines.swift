import OllaCore

/// A response's headers written as the lines of its head, "Name: value\r\n" each, for
/// libmicrohttpd to copy into the reply as they are (`olla_MHD_add_response_header_lines`,
/// patch 0017): one copy of the bytes and no look at them in libmicrohttpd, where the
/// name-and-value block of patch 0008 was measured, split, checked and copied header by
/// header (~2.7 K instructions for the 11 headers of a small answer, `make
/// bench-instructions`).
///
/// Only a list libmicrohttpd would have taken unchanged goes this way: every name and value
/// non-empty, no NUL, CR or LF in either, no space or tab in a name, at most one `Date`, and
/// none of `Connection`, `Transfer-Encoding`, `Content-Length` (libmicrohttpd decides those
/// itself). Any other list returns nil and goes the block's way, which applies
/// libmicrohttpd's rules header by header, as before. The bytes on the wire are the same
/// either way: the head's lines in the list's order.
enum ResponseHeaderLines {
    /// The bytes `write` may need for `headers`.
    static func capacity(of headers: UnsafeBufferPointer<HTTPHeader>) -> Int {
        var total = 0
        for i in headers.indices { total += headers[i].name.utf8.count + headers[i].value.utf8.count + 4 }
        return total
    }

    /// Writes `headers` as head lines into `buffer` (at least `capacity(of:)` bytes) and
    /// returns how many bytes they took and whether one is a `Date`; nil when the list must
    /// go through libmicrohttpd's rules (see the type's note; `buffer` then holds garbage).
    static func write(
        _ headers: UnsafeBufferPointer<HTTPHeader>, into buffer: UnsafeMutableBufferPointer<UInt8>
    ) -> (count: Int, hasDate: Bool)? {
        var end = 0
        var hasDate = false
        for i in headers.indices {
            let nameStart = end
            let nameCount = append(headers[i].name, to: buffer, at: end)
            guard nameCount > 0 else { return nil }
            let name = UnsafePointer(buffer.baseAddress! + nameStart)
            // Below 0x21: NUL, tab, LF, CR, space, and other control bytes, which a name may
            // hold (libmicrohttpd took them): looked at one by one only then.
            if hasByte(below: 0x21, name, nameCount), hasForbiddenNameByte(name, nameCount) { return nil }
            switch nameClass(name, nameCount) {
            case .ordinary: break
            case .date:
                // Of two, libmicrohttpd keeps the later: its rules decide.
                if hasDate { return nil }
                hasDate = true
            case .decidedByLibrary: return nil
            }
            end += nameCount
            buffer[end] = 0x3A  // ':'
            buffer[end + 1] = 0x20
            end += 2
            let valueStart = end
            let valueCount = append(headers[i].value, to: buffer, at: end)
            guard valueCount > 0 else { return nil }
            let value = UnsafePointer(buffer.baseAddress! + valueStart)
            // Below 0x0E: NUL, LF, CR, and tab and other control bytes a value may hold.
            if hasByte(below: 0x0E, value, valueCount), hasForbiddenValueByte(value, valueCount) { return nil }
            end += valueCount
            buffer[end] = 0x0D
            buffer[end + 1] = 0x0A
            end += 2
        }
        return (end, hasDate)
    }

    /// Copies `text`'s UTF-8 bytes to `offset` (room for them: `capacity(of:)`); returns
    /// their count. A native or literal String is copied from where its bytes lie (a small one
    /// from its inline bytes), with no retain of it: `initialize(from: text.utf8)` took the view
    /// as an owned copy (a retain and a release per name and value) and copied through the
    /// view's generic path, ~3 times the instructions (`make bench-instructions`).
    @inline(__always)
    static func append(_ text: String, to buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> Int {
        let copied = text.utf8.withContiguousStorageIfAvailable { source -> Int in
            if let from = source.baseAddress, !source.isEmpty {
                (buffer.baseAddress! + offset).initialize(from: from, count: source.count)
            }
            return source.count
        }
        if let copied { return copied }
        return UnsafeMutableBufferPointer(rebasing: buffer[offset...]).initialize(from: text.utf8).1
    }

    /// How libmicrohttpd treats a header by its name.
    enum NameClass: Equatable {
        /// Added as it is.
        case ordinary
        /// `Date`: replaces libmicrohttpd's own (and an earlier one).
        case date
        /// `Connection`, `Transfer-Encoding`, `Content-Length`: libmicrohttpd's own rules.
        case decidedByLibrary
    }

    /// The class of the name at `name` (`count` bytes, none of them NUL, CR, LF, space or tab).
    static func nameClass(_ name: UnsafePointer<UInt8>, _ count: Int) -> NameClass {
        switch count {
        case 4: return equalsFolded(name, "date") ? .date : .ordinary
        case 10: return equalsFolded(name, "connection") ? .decidedByLibrary : .ordinary
        case 14: return equalsFolded(name, "content-length") ? .decidedByLibrary : .ordinary
        case 17: return equalsFolded(name, "transfer-encoding") ? .decidedByLibrary : .ordinary
        default: return .ordinary
        }
    }

    /// Whether the bytes at `bytes` are `lowercase` in any letter case; `lowercase` holds
    /// letters and `-` only, and `bytes` has as many bytes, none a CR (0x0D | 0x20 is `-`).
    @inline(__always)
    private static func equalsFolded(_ bytes: UnsafePointer<UInt8>, _ lowercase: StaticString) -> Bool {
        let expected = lowercase.utf8Start
        for i in 0..<lowercase.utf8CodeUnitCount where bytes[i] | 0x20 != expected[i] { return false }
        return true
    }

    /// Whether any of the `count` bytes at `bytes` is below `limit` (at most 0x80): eight at a
    /// time (a byte below `limit` leaves its top bit set in `x - limit·0x01…01` where it was
    /// clear in `x`; a borrow can only raise a false alarm above a true one), the last word
    /// overlapping the one before it.
    @inline(__always)
    static func hasByte(below limit: UInt8, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let subtract = ones &* UInt64(limit)
        let tops = ones &* 0x80
        let raw = UnsafeRawPointer(bytes)
        guard count >= 8 else {
            for i in 0..<count where bytes[i] < limit { return true }
            return false
        }
        var i = 0
        while i + 8 <= count {
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if (x &- subtract) & ~x & tops != 0 { return true }
            i += 8
        }
        if i < count {
            let x = raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            if (x &- subtract) & ~x & tops != 0 { return true }
        }
        return false
    }

    /// Whether a name holds a byte libmicrohttpd refuses or cuts at: NUL, tab, LF, CR, space.
    private static func hasForbiddenNameByte(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        for i in 0..<count {
            switch bytes[i] {
            case 0x00, 0x09, 0x0A, 0x0D, 0x20: return true
            default: continue
            }
        }
        return false
    }

    /// Whether a value holds a byte libmicrohttpd refuses or cuts at: NUL, LF, CR.
    private static func hasForbiddenValueByte(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        for i in 0..<count {
            switch bytes[i] {
            case 0x00, 0x0A, 0x0D: return true
            default: continue
            }
        }
        return false
    }
}
