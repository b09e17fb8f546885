/// Which headers cross the proxy in each direction, and which Olla adds.
///
/// Names are classified byte-wise against lowercase literals (`HTTPHeaderName`), never by
/// lowercasing a copy of each name: this runs for every header of every request.
public enum HeaderRules {
    /// What happens to a client header on its way to the backend.
    enum Outbound: Equatable {
        /// Passed on unless `Connection` lists it.
        case kept
        /// Never passed on: hop-by-hop (RFC 9110 §7.6.1), computed by the outbound client
        /// from the request it sends (`Host`, `Content-Length`, `Expect`), or `Origin`
        /// (Ollama answers 403 to origins it does not allow-list, and Olla, not the backend,
        /// is what the browser talks to).
        case dropped
        /// Replaced by Olla's own value (`X-Forwarded-Host`, `X-Forwarded-Proto`, `X-Olla-Request-ID`).
        case replaced
        /// Extended with Olla's hop: `X-Forwarded-For`, `Via`.
        case forwardedFor, via
        /// Becomes `X-Forwarded-Host`.
        case host
    }

    /// Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, never the next one.
    static let hopByHop: [StaticString] = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// Client headers that never reach the backend as they are, besides hop-by-hop ones.
    static let outboundNames: [(name: StaticString, rule: Outbound)] = [
        ("host", .host), ("content-length", .dropped), ("expect", .dropped), ("origin", .dropped),
        ("x-forwarded-for", .forwardedFor), ("via", .via),
        ("x-forwarded-host", .replaced), ("x-forwarded-proto", .replaced), ("x-olla-request-id", .replaced),
    ]

    /// The value of `Via` that Olla appends.
    public static let viaToken = "1.1 olla"

    /// What goes to the backend: the client's end-to-end headers plus forwarding headers.
    public static func upstreamRequestHeaders(
        client: [HTTPHeader],
        peerAddress: String,
        requestID: String
    ) -> [HTTPHeader] {
        var forwardedFor: String? = nil
        var via: String? = nil
        var host: String? = nil
        var out: [HTTPHeader] = []
        out.reserveCapacity(client.count + 5)
        var connection = ConnectionFields()
        client.withUnsafeBufferPointer { client in
            for index in client.indices {
                switch outboundRule(client[index].name) {
                case .forwardedFor: forwardedFor = join(forwardedFor, client[index].value)
                case .via: via = join(via, client[index].value)
                case .host: host = client[index].value
                case .dropped: connection.note(client, index)
                case .replaced: continue
                case .kept: out.append(client[index])
                }
            }
            connection.dropListed(from: &out, client)
        }
        out.append(HTTPHeader("X-Olla-Request-ID", requestID))
        out.append(HTTPHeader("X-Forwarded-For", join(forwardedFor, peerAddress) ?? peerAddress))
        if let host { out.append(HTTPHeader("X-Forwarded-Host", host)) }
        out.append(HTTPHeader("X-Forwarded-Proto", "http"))
        out.append(HTTPHeader("Via", join(via, viaToken) ?? viaToken))
        return out
    }

    /// What goes back to the client from the backend's answer. Framing headers are left out
    /// because the inbound server frames the body itself (it keeps a known length), and so
    /// is any `X-Olla-*` a backend sent: only Olla sets those.
    /// `reservingCapacity`: room for that many more headers the caller appends (Olla's own),
    /// so the answer's header list is allocated once.
    public static func clientResponseHeaders(upstream: [HTTPHeader], reservingCapacity extra: Int = 0) -> [HTTPHeader] {
        var out: [HTTPHeader] = []
        out.reserveCapacity(upstream.count + extra)
        var connection = ConnectionFields()
        upstream.withUnsafeBufferPointer { upstream in
            for index in upstream.indices {
                let name = upstream[index].name
                if isHopByHop(name) {
                    connection.note(upstream, index)
                } else if !HTTPHeaderName.matches(name, "content-length") && !hasOllaPrefix(name) {
                    out.append(upstream[index])
                }
            }
            connection.dropListed(from: &out, upstream)
        }
        return out
    }

    /// The `Connection` fields of a header list, noted in the one pass that filters it
    /// (RFC 9110 §7.6.1: each names headers that are hop-by-hop on this connection).
    ///
    /// Usually there is none, or only `Connection: keep-alive` (what a backend behind nginx
    /// sends, and many clients): `keep-alive` is a hop-by-hop name already, so such a field
    /// lists none of the headers kept, and the kept ones need no second look. Only a field
    /// with any other value makes `dropListed` take out the kept headers it names, after the
    /// pass: the same headers a check of every kept header against every `Connection` field
    /// would drop, without a pass over the list first to find out whether to check
    /// (~0.45 K instructions per request, answer and request together).
    struct ConnectionFields {
        /// The first `Connection` field, once one names more than `keep-alive`; nil otherwise.
        private var first: Int?
        private var seen: Int?

        /// Notes `headers[index]`, a hop-by-hop field, when it is a `Connection` field.
        mutating func note(_ headers: UnsafeBufferPointer<HTTPHeader>, _ index: Int) {
            guard HTTPHeaderName.matches(headers[index].name, "connection") else { return }
            if seen == nil { seen = index }
            // Exactly the one option, no padding or empty elements (an empty element names
            // the empty name; a header can have one): anything else is looked at.
            if first == nil, !HTTPHeaderName.matches(headers[index].value, "keep-alive") { first = seen }
        }

        /// Removes from `kept` every header a `Connection` field of `headers` lists.
        func dropListed(from kept: inout [HTTPHeader], _ headers: UnsafeBufferPointer<HTTPHeader>) {
            guard let first else { return }
            kept.removeAll { connectionLists($0.name, in: headers, from: first) }
        }
    }

    /// The first value of a header, by case-insensitive name; `name` is written in lowercase
    /// (`HTTPHeaderName.matches`: a length check, then one pass over the bytes, no copy).
    public static func value(of name: StaticString, in headers: [HTTPHeader]) -> String? {
        // Through the buffer: each name is read in place, not copied (retained) out of its field.
        headers.withUnsafeBufferPointer { headers in
            for index in headers.indices where HTTPHeaderName.matches(headers[index].name, name) {
                return headers[index].value
            }
            return nil
        }
    }

    /// The first `Content-Length` and the first `Transfer-Encoding` value of `headers`, as
    /// sent (not trimmed), found in one pass (`value(of:in:)` twice would be two): what frames a
    /// message body (RFC 9112 §6.1–6.3), for the inbound head and the backend's head alike.
    public static func framingFields(in headers: [HTTPHeader]) -> (contentLength: String?, transferEncoding: String?) {
        var length: String? = nil
        var coding: String? = nil
        // Through the buffer, as `value(of:in:)`: each name is read in place, not copied
        // (retained and released) out of its field.
        headers.withUnsafeBufferPointer { headers in
            for index in headers.indices where length == nil || coding == nil {
                if length == nil, HTTPHeaderName.matches(headers[index].name, "content-length") {
                    length = headers[index].value
                } else if coding == nil, HTTPHeaderName.matches(headers[index].name, "transfer-encoding") {
                    coding = headers[index].value
                }
            }
        }
        return (length, coding)
    }

    /// What happens to the client header `name` on its way to the backend: `.dropped` for a
    /// hop-by-hop name (`hopByHop`), the rule of `outboundNames` for one listed there, `.kept`
    /// otherwise. Only the names with `name`'s length are compared, picked by a `switch`
    /// (a walk over `outboundNames`, a lazy global of tuples, cost ~100 instructions per
    /// header). HeaderRulesTests checks it against the two lists.
    static func outboundRule(_ name: String) -> Outbound {
        switch name.utf8.count {
        case 3: if HTTPHeaderName.matches(name, "via") { return .via }
        case 4: if HTTPHeaderName.matches(name, "host") { return .host }
        case 6: if HTTPHeaderName.matches(name, "origin") || HTTPHeaderName.matches(name, "expect") { return .dropped }
        case 14: if HTTPHeaderName.matches(name, "content-length") { return .dropped }
        case 15: if HTTPHeaderName.matches(name, "x-forwarded-for") { return .forwardedFor }
        case 16: if HTTPHeaderName.matches(name, "x-forwarded-host") { return .replaced }
        case 17:
            if HTTPHeaderName.matches(name, "x-forwarded-proto") || HTTPHeaderName.matches(name, "x-olla-request-id") {
                return .replaced
            }
        default: break
        }
        return isHopByHop(name) ? .dropped : .kept
    }

    static func isHopByHop(_ name: String) -> Bool { isHopByHop(name, count: name.utf8.count) }

    /// `count`: `name`'s length in bytes; only the names of `hopByHop` with that length are
    /// compared byte by byte, picked by a `switch` (a walk over the list, a lazy global, cost
    /// ~60 instructions per header). HeaderRulesTests checks it against `hopByHop`.
    private static func isHopByHop(_ name: String, count: Int) -> Bool {
        switch count {
        case 2: HTTPHeaderName.matches(name, "te")
        case 7: HTTPHeaderName.matches(name, "trailer") || HTTPHeaderName.matches(name, "upgrade")
        case 10: HTTPHeaderName.matches(name, "connection") || HTTPHeaderName.matches(name, "keep-alive")
        case 16: HTTPHeaderName.matches(name, "proxy-connection")
        case 17: HTTPHeaderName.matches(name, "transfer-encoding")
        case 18: HTTPHeaderName.matches(name, "proxy-authenticate")
        case 19: HTTPHeaderName.matches(name, "proxy-authorization")
        default: false
        }
    }

    /// The options of every `Connection` header (RFC 9110 §7.6.1: each names a header that
    /// is hop-by-hop on this connection), trimmed; usually none, or `keep-alive`.
    static func connectionOptions(_ headers: [HTTPHeader]) -> [Substring] {
        var options: [Substring] = []
        for header in headers where HTTPHeaderName.matches(header.name, "connection") {
            for option in header.value.split(separator: ",") {
                options.append(option.trimmingOptionalWhitespace())
            }
        }
        return options
    }

    /// Whether a `Connection` header among `headers` lists `name` (RFC 9110 §7.6.1), compared
    /// byte-wise and ASCII-case-insensitively option by option, without splitting or copying
    /// the values (what `connectionOptions` and `isListed` decide, without their array).
    /// The callers pass the headers from the first `Connection` on.
    static func connectionLists(_ name: String, in headers: some Collection<HTTPHeader>) -> Bool {
        var name = name
        return name.withUTF8 { wanted in
            headers.contains { header in
                guard HTTPHeaderName.matches(header.name, "connection") else { return false }
                var value = header.value
                return value.withUTF8 { listsOption(wanted, in: $0) }
            }
        }
    }

    /// `connectionLists(_:in:)` over `headers[first...]`, read in place (no slice, no closure,
    /// no copy of the name or of each value): `ConnectionFields.dropListed` calls it for
    /// every kept header once a `Connection` field names more than `keep-alive`.
    private static func connectionLists(_ name: String, in headers: UnsafeBufferPointer<HTTPHeader>, from first: Int) -> Bool {
        var name = name
        return name.withUTF8 { wanted in
            for index in first..<headers.count where HTTPHeaderName.matches(headers[index].name, "connection") {
                var value = headers[index].value
                if value.withUTF8({ listsOption(wanted, in: $0) }) { return true }
            }
            return false
        }
    }

    /// Whether the comma-separated `list` has an element equal to `option` once optional
    /// whitespace is trimmed, ignoring ASCII case.
    static func listsOption(_ option: UnsafeBufferPointer<UInt8>, in list: UnsafeBufferPointer<UInt8>) -> Bool {
        func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var start = 0
        while start <= list.count {
            var end = start
            while end < list.count, list[end] != UInt8(ascii: ",") { end += 1 }
            var (from, to) = (start, end)
            while from < to, isSpace(list[from]) { from += 1 }
            while to > from, isSpace(list[to - 1]) { to -= 1 }
            if to - from == option.count {
                var index = 0
                while index < option.count, ASCII.folded(list[from + index]) == ASCII.folded(option[index]) { index += 1 }
                if index == option.count { return true }
            }
            start = end + 1
        }
        return false
    }

    /// Whether `Connection` listed `name`.
    static func isListed(_ name: String, in options: [Substring]) -> Bool {
        !options.isEmpty && options.contains { $0.equalsIgnoringASCIICase(name) }
    }

    /// Whether `name` starts with `x-olla-`, in any case.
    static func hasOllaPrefix(_ name: String) -> Bool {
        // Byte by byte in place (a `zip` over the two views cost ~300 instructions per name).
        let prefix: StaticString = "x-olla-"
        var name = name
        return name.withUTF8 { bytes in
            guard bytes.count >= prefix.utf8CodeUnitCount else { return false }
            for index in 0..<prefix.utf8CodeUnitCount where ASCII.folded(bytes[index]) != prefix.utf8Start[index] {
                return false
            }
            return true
        }
    }

    private static func join(_ existing: String?, _ next: String) -> String? {
        guard let existing, !existing.isEmpty else { return next }
        return existing + ", " + next
    }
}

extension Substring {
    /// Trims spaces and tabs (HTTP's optional whitespace) byte-wise, without copying.
    func trimmingOptionalWhitespace() -> Substring {
        func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, isSpace(utf8[start]) { start = utf8.index(after: start) }
        while end > start, isSpace(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        return self[start..<end]
    }
}

extension StringProtocol {
    /// Trims spaces and tabs (HTTP's optional whitespace) without Foundation.
    public func trimmingSpaces() -> String {
        // Nothing to trim when neither end byte is a space or a tab (a Character equal to
        // " " or "\t" is that one byte): the usual header value, without a Character walk.
        var slice = Substring(self)
        if let first = slice.utf8.first, let last = slice.utf8.last,
           first != UInt8(ascii: " "), first != UInt8(ascii: "\t"), last != UInt8(ascii: " "), last != UInt8(ascii: "\t") {
            return String(slice)
        }
        while let c = slice.first, c == " " || c == "\t" { slice.removeFirst() }
        while let c = slice.last, c == " " || c == "\t" { slice.removeLast() }
        return String(slice)
    }
}

extension String {
    /// Trims spaces and tabs (HTTP's optional whitespace) without Foundation: the
    /// `StringProtocol` version, with the String itself handed back when neither end byte is
    /// a space or a tab (the usual header value). Called from other modules the generic
    /// version runs unspecialised, through witness tables: ~390 instructions for a
    /// `Content-Length` value, twice per request (`InboundHead`, `UpstreamHead`).
    public func trimmingSpaces() -> String {
        if let first = utf8.first, let last = utf8.last,
           first != UInt8(ascii: " "), first != UInt8(ascii: "\t"), last != UInt8(ascii: " "), last != UInt8(ascii: "\t") {
            return self
        }
        return Substring(self).trimmingSpaces()
    }
}
