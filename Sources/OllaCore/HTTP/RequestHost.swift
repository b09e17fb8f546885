/// The `Host` header rules a request head must follow (RFC 9112 §3.2), checked as Ollama's Go
/// server checks them (net/http server.go `readRequest`, with httpguts `ValidHostHeader`), so
/// a head Ollama refuses is refused here with the same reason.
///
/// An HTTP/1.1 request names its host exactly once; a proxy that served a request without one,
/// or with two, would leave the backend (or a proxy behind it) to pick one, which is how cache
/// poisoning and virtual-host confusion work. HTTP/1.0 requests may leave `Host` out.
public enum RequestHost {
    /// Checks the `Host` fields among `headers` (every field, in arrival order, duplicates
    /// included) of a request of `httpVersion` ("HTTP/1.1", "HTTP/1.0").
    ///
    /// - Throws: `ProxyError` with status 400 (`badRequest`) and Go's wording: "missing required
    ///   Host header" (an HTTP/1.1 request without one), "too many Host headers" (more than one,
    ///   whatever the version), "malformed Host header" (a byte no host, port or IP literal can
    ///   hold: anything but letters, digits and `!$%&'()*+,-.:;=[]_~`, as Go's
    ///   `validHostByte`). An empty value is allowed, as in Go and RFC 9112 §3.2 (a target
    ///   without an authority).
    public static func check(httpVersion: String, headers: [HTTPHeader]) throws(ProxyError) {
        var host: String?
        for header in headers where HTTPHeaderName.matches(header.name, "host") {
            guard host == nil else { throw ProxyError(.badRequest, "too many Host headers") }
            host = header.value
        }
        guard let host else {
            if httpVersion == "HTTP/1.0" { return }
            throw ProxyError(.badRequest, "missing required Host header")
        }
        var bytes = host
        guard bytes.withUTF8({ $0.allSatisfy(isHostByte) }) else { throw ProxyError(.badRequest, "malformed Host header") }
    }

    /// Whether `byte` may appear in a `Host` value: the unreserved and sub-delims characters
    /// of RFC 3986 §3.2.2, `%` (pct-encoded, IPv6 zones), `:` (port, IPv6) and `[` `]`.
    static func isHostByte(_ byte: UInt8) -> Bool {
        // A switch, not a `Set` of the punctuation: no hash per byte of every request's `Host`.
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"),
             // The punctuation Go's `validHostByte` allows: `!$%&'()*+,-.:;=[]_~`.
             UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: ";"), UInt8(ascii: "="),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
