/// How a request's body is delimited, decided from its head alone (RFC 9112 §6).
///
/// A proxy that frames a request differently from the server in front of it or the backend
/// behind it lets one request hide a second one inside its body ("request smuggling").
/// Olla therefore accepts only heads whose framing every reasonable parser reads the same
/// way, and the same way libmicrohttpd reads it: libmicrohttpd frames the body before
/// Olla sees the request, using the *first* `Transfer-Encoding` or `Content-Length` field
/// only, so any head where that first field does not tell the whole story is refused.
public enum RequestFraming: Sendable, Equatable {
    /// Neither `Content-Length` nor `Transfer-Encoding`: the request has no body
    /// (RFC 9112 §6.3 rule 6).
    case noBody
    /// A body of exactly this many bytes (`Content-Length`, RFC 9112 §6.3 rule 5).
    case length(Int64)
    /// A chunked body (`Transfer-Encoding: chunked`, RFC 9112 §7.1).
    case chunked

    /// The only transfer coding Olla implements (RFC 9112 §7).
    static let chunkedCoding = "chunked"

    /// Decides the framing of a request from its HTTP version and every header field in
    /// arrival order, duplicates included.
    ///
    /// - Throws: `ProxyError` with status 400 (`badRequest`) when the framing is ambiguous or
    ///   malformed: both `Transfer-Encoding` and `Content-Length` (RFC 9112 §6.3 rule 3),
    ///   `Transfer-Encoding` in an HTTP/1.0 request (§6.1), a final coding other than
    ///   `chunked` (§6.3 rule 4), `chunked` more than once (§6.1), a `Content-Length` that is
    ///   not one decimal number, or several that differ (RFC 9110 §8.6), a field name that is
    ///   not a token (whitespace before the colon, RFC 9112 §5.1), a control character in a
    ///   field value (RFC 9110 §5.5). Status 501 (`notImplemented`) for a well-formed list
    ///   ending in `chunked` that also names a coding Olla does not implement, such as
    ///   `gzip, chunked` (RFC 9112 §6.1). Status 413 (`payloadTooLarge`) for a length beyond
    ///   what a signed 64-bit count holds.
    public static func decide(httpVersion: String, headers: [HTTPHeader]) throws(ProxyError) -> RequestFraming {
        // The first Content-Length and whether another one differs: no array for the usual
        // single field (`codings` stays empty, unallocated, without Transfer-Encoding).
        var firstLength: String? = nil
        var lengthsDiffer = false
        var codings: [String] = []
        // Through the buffer: each field is read in place, not copied (its two Strings
        // retained and released) out of the array.
        let malformed = headers.withUnsafeBufferPointer { headers -> ProxyError? in
            for index in headers.indices {
                if let error = syntaxError(headers[index]) { return error }
                if HTTPHeaderName.matches(headers[index].name, "content-length") {
                    if let firstLength {
                        lengthsDiffer = lengthsDiffer || headers[index].value != firstLength
                    } else {
                        firstLength = headers[index].value
                    }
                } else if HTTPHeaderName.matches(headers[index].name, "transfer-encoding") {
                    codings.append(headers[index].value)
                }
            }
            return nil
        }
        if let malformed { throw malformed }
        if !codings.isEmpty {
            guard firstLength == nil else {
                throw ProxyError(.badRequest, "request has both Transfer-Encoding and Content-Length")
            }
            guard httpVersion != "HTTP/1.0" else {
                throw ProxyError(.badRequest, "Transfer-Encoding is not allowed in an HTTP/1.0 request")
            }
            return try transferCoding(codings)
        }
        guard let first = firstLength else { return .noBody }
        guard !lengthsDiffer else {
            throw ProxyError(.badRequest, "request has several different Content-Length values")
        }
        return .length(try contentLength(first))
    }

    /// `Transfer-Encoding` fields, in order. libmicrohttpd dechunks only when the first field
    /// is exactly `chunked` (any letter case), so that is the one shape accepted; every other
    /// shape is refused, with the status RFC 9112 gives for it.
    private static func transferCoding(_ fields: [String]) throws(ProxyError) -> RequestFraming {
        if fields.count == 1, fields[0].equalsIgnoringASCIICase(chunkedCoding) { return .chunked }
        var names: [Substring] = []
        for field in fields {
            for element in field.split(separator: ",", omittingEmptySubsequences: false) {
                let trimmed = element.trimmingSpaces()
                if trimmed.isEmpty { continue }  // empty list elements carry nothing (RFC 9110 §5.6.1)
                let name = Substring(trimmed.prefix { $0 != ";" }).trimmingSpaces()
                guard isToken(name) else {
                    throw ProxyError(.badRequest, "malformed Transfer-Encoding: \(quoted(field))")
                }
                names.append(Substring(name))
            }
        }
        guard let last = names.last, last.equalsIgnoringASCIICase(chunkedCoding) else {
            throw ProxyError(.badRequest, "Transfer-Encoding must end with chunked: \(quoted(fields.joined(separator: ", ")))")
        }
        let chunkedCount = names.count(where: { $0.equalsIgnoringASCIICase(chunkedCoding) })
        guard chunkedCount == 1 else {
            throw ProxyError(.badRequest, "Transfer-Encoding names chunked more than once")
        }
        if names.count > 1 {
            let other = names.first { !$0.equalsIgnoringASCIICase(chunkedCoding) } ?? ""
            throw ProxyError(.notImplemented, "transfer coding \(quoted(String(other))) is not implemented; send the body chunked only")
        }
        // Only `chunked`, but not as one plain field (parameters, padding, empty elements,
        // a second field): libmicrohttpd would not dechunk it.
        throw ProxyError(.badRequest, "Transfer-Encoding must be exactly chunked: \(quoted(fields.joined(separator: ", ")))")
    }

    /// `Content-Length = 1*DIGIT` (RFC 9110 §8.6): no sign, no spaces, no list.
    private static func contentLength(_ value: String) throws(ProxyError) -> Int64 {
        switch digits(value) {
        case .number(let length): return length
        case .malformed: throw ProxyError(.badRequest, "malformed Content-Length: \(quoted(value))")
        case .outOfRange: throw ProxyError(.payloadTooLarge, "Content-Length \(value) is out of range")
        }
    }

    /// What the digits of a `Content-Length` say.
    enum Digits: Equatable {
        /// One or more decimal digits, whose value fits in an `Int64`.
        case number(Int64)
        /// Empty, or a byte that is not a decimal digit.
        case malformed
        /// Decimal digits only, but more than an `Int64` holds.
        case outOfRange
    }

    /// `value` read as decimal digits in one pass over its bytes (the generic `allSatisfy` and
    /// then `Int64(_:)` read it twice, ~300 instructions for three digits). Leading zeros are
    /// allowed, as `Int64(_:)` allows them.
    static func digits(_ value: String) -> Digits {
        func read(_ bytes: UnsafeBufferPointer<UInt8>) -> Digits {
            guard !bytes.isEmpty else { return .malformed }
            var number: Int64 = 0
            var overflowed = false
            for byte in bytes {
                let digit = byte &- UInt8(ascii: "0")
                guard digit < 10 else { return .malformed }
                let (times10, o1) = number.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int64(digit))
                // Read on after an overflow: a later non-digit still makes it malformed.
                overflowed = overflowed || o1 || o2
                number = sum
            }
            return overflowed ? .outOfRange : .number(number)
        }
        if let digits = value.utf8.withContiguousStorageIfAvailable(read) { return digits }
        // Not contiguous (never for a String built from bytes): made contiguous, read the same way.
        var copy = value
        return copy.withUTF8(read)
    }

    /// Field names are tokens (RFC 9110 §5.1): whitespace before the colon would make one
    /// parser see `Transfer-Encoding` where another sees an unknown field. Field values hold
    /// no control characters other than tab (RFC 9110 §5.5): a bare CR is a line end to some
    /// parsers and not to others.
    /// Both checks read the bytes in place (every header of every request passes here), and
    /// return the error rather than throw it: the caller walks the header list's buffer.
    private static func syntaxError(_ header: HTTPHeader) -> ProxyError? {
        let name = header.name.utf8
        let nameIsToken = name.withContiguousStorageIfAvailable { bytes in
            !bytes.isEmpty && bytes.allSatisfy(isTokenByte)
        } ?? (!name.isEmpty && name.allSatisfy(isTokenByte))
        guard nameIsToken else {
            return ProxyError(.badRequest, "malformed header field name: \(quoted(header.name))")
        }
        let value = header.value.utf8
        // Eight bytes per step (`ByteSearch.contains`): a value can be long (a token, a cookie).
        let hasControl = value.withContiguousStorageIfAvailable {
            ByteSearch.contains(in: UnsafeRawBufferPointer($0), below: 0x20, or: 0x7F, where: isControlByte)
        } ?? value.contains(where: isControlByte)
        if hasControl {
            return ProxyError(.badRequest, "control character in the value of header \(header.name)")
        }
        return nil
    }

    /// A control character other than tab (RFC 9110 §5.5).
    private static func isControlByte(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != 0x09) || byte == 0x7F
    }

    /// `token = 1*tchar` (RFC 9110 §5.6.2).
    static func isToken(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isTokenByte)
    }

    /// `tchar` (RFC 9110 §5.6.2) as two 64-bit masks over the ASCII bytes: `!#$%&'*+-.^_`|~`,
    /// digits and letters. Bit `b` of `tcharLow` is byte `b` (0...63), bit `b` of `tcharHigh`
    /// byte `64 + b`. Literals, not computed `static let`s: a computed one is a lazy global,
    /// checked (`swift_once`) on every byte of every field name (30 times per request).
    /// RequestFramingTests checks every ASCII byte against the RFC's list.
    private static var tcharLow: UInt64 { 0x03FF_6CFA_0000_0000 }
    private static var tcharHigh: UInt64 { 0x57FF_FFFF_C7FF_FFFE }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        byte < 64 ? tcharLow & (1 << UInt64(byte)) != 0 : byte < 128 && tcharHigh & (1 << UInt64(byte - 64)) != 0
    }

    /// A client-supplied value inside an error message: quoted and cut short.
    private static func quoted(_ value: String) -> String {
        let cut = value.utf8.count > 64 ? String(decoding: value.utf8.prefix(64), as: UTF8.self) + "…" : value
        return "'" + cut + "'"
    }
}
