/// An HTTP header as it travels through Olla: name as received, value as received.
public typealias HTTPHeader = (name: String, value: String)

/// Which headers cross the proxy in each direction, and which Olla adds.
public enum HeaderRules {
    /// Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, never the next one.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// Headers the outbound client computes itself from the request it sends.
    static let recomputedOutbound: Set<String> = ["host", "content-length", "expect"]

    /// `Origin` is dropped because Ollama answers 403 to origins it does not allow-list,
    /// and Olla, not the backend, is what the browser talks to.
    static let droppedOutbound: Set<String> = ["origin"]

    /// The value of `Via` that Olla appends.
    public static let viaToken = "1.1 olla"

    /// What goes to the backend: the client's end-to-end headers plus forwarding headers.
    public static func upstreamRequestHeaders(
        client: [HTTPHeader],
        peerAddress: String,
        requestID: String
    ) -> [HTTPHeader] {
        let connectionTokens = tokensListedInConnection(client)
        var forwardedFor: String? = nil
        var via: String? = nil
        var host: String? = nil
        var out: [HTTPHeader] = []
        out.reserveCapacity(client.count + 5)
        for header in client {
            let name = header.name.asciiLowercased
            switch name {
            case "x-forwarded-for": forwardedFor = join(forwardedFor, header.value)
            case "via": via = join(via, header.value)
            case "host": host = header.value
            case "x-forwarded-host", "x-forwarded-proto", "x-olla-request-id": continue
            default:
                if hopByHop.contains(name) || recomputedOutbound.contains(name)
                    || droppedOutbound.contains(name) || connectionTokens.contains(name) {
                    continue
                }
                out.append(header)
            }
        }
        out.append(("X-Olla-Request-ID", requestID))
        out.append(("X-Forwarded-For", join(forwardedFor, peerAddress) ?? peerAddress))
        if let host { out.append(("X-Forwarded-Host", host)) }
        out.append(("X-Forwarded-Proto", "http"))
        out.append(("Via", join(via, viaToken) ?? viaToken))
        return out
    }

    /// What goes back to the client from the backend's answer. Framing headers are left out
    /// because the inbound server frames the body itself (it keeps a known length).
    public static func clientResponseHeaders(upstream: [HTTPHeader]) -> [HTTPHeader] {
        let connectionTokens = tokensListedInConnection(upstream)
        return upstream.filter { header in
            let name = header.name.asciiLowercased
            return !hopByHop.contains(name) && name != "content-length"
                && !connectionTokens.contains(name) && !name.hasPrefix("x-olla-")
        }
    }

    /// The first value of a header, by case-insensitive name.
    public static func value(of name: String, in headers: [HTTPHeader]) -> String? {
        headers.first { $0.name.equalsIgnoringASCIICase(name) }?.value
    }

    static func tokensListedInConnection(_ headers: [HTTPHeader]) -> Set<String> {
        var tokens = Set<String>()
        for header in headers where header.name.equalsIgnoringASCIICase("connection") {
            for token in header.value.split(separator: ",") {
                tokens.insert(token.trimmingSpaces().asciiLowercased)
            }
        }
        return tokens
    }

    private static func join(_ existing: String?, _ next: String) -> String? {
        guard let existing, !existing.isEmpty else { return next }
        return existing + ", " + next
    }
}

extension StringProtocol {
    /// Trims spaces and tabs (HTTP's optional whitespace) without Foundation.
    public func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let c = slice.first, c == " " || c == "\t" { slice.removeFirst() }
        while let c = slice.last, c == " " || c == "\t" { slice.removeLast() }
        return String(slice)
    }
}
