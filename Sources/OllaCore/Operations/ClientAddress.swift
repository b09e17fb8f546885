/// Works out which client a request really came from when Olla sits behind reverse
/// proxies, for rate limiting, access lists and logs.
public enum ClientAddress {
    /// The client's address as text.
    ///
    /// Without `trustProxyHeaders`, or when the direct peer is not itself a trusted proxy,
    /// the answer is the peer: anyone can write `X-Forwarded-For`, so it only counts when
    /// it was set by a proxy we trust. Otherwise the header is walked right to left (each
    /// proxy appends the address it received the request from) skipping trusted proxies;
    /// the first untrusted address is the client. If every hop is trusted, the leftmost
    /// is used. An unparseable hop stops the walk there: what lies left of it was written
    /// by someone we cannot vouch for, so the last trusted hop is returned instead.
    ///
    /// - Parameters:
    ///   - peer: The socket peer address (`1.2.3.4`, `::ffff:1.2.3.4`, or with a port).
    ///   - forwardedFor: The `X-Forwarded-For` header(s), comma-separated, if any.
    ///   - trustedProxies: The ranges proxies we trust are in.
    ///   - trustProxyHeaders: `server.rate_limits.trust_proxy_headers`.
    /// - Returns: The client address, normalised (`::ffff:1.2.3.4` becomes `1.2.3.4`,
    ///   ports and brackets are removed) when it parses; otherwise `peer` unchanged.
    public static func resolve(
        peer: String, forwardedFor: String?, trustedProxies: [CIDR], trustProxyHeaders: Bool
    ) -> String {
        // The usual case: a peer socket reports a plain IPv4 address, already in the form
        // `description` would write (the parser accepts no leading zeros), and no proxy
        // header is consulted. Checked on the bytes, without parsing into a value and back.
        // The bytes are read in place (`withUTF8`): through the UTF-8 view, ~40 instructions a byte.
        var bytes = peer
        if !trustProxyHeaders || forwardedFor == nil, bytes.withUTF8({ IPAddress.parseIPv4($0) }) != nil {
            return peer
        }
        guard let peerAddress = IPAddress(host: peer) else { return peer }
        guard trustProxyHeaders, let forwardedFor, trustedProxies.containsAddress(peerAddress) else {
            return peerAddress.description
        }
        var lastTrusted = peerAddress
        for hop in forwardedFor.split(separator: ",").reversed() {
            guard let address = IPAddress(host: hop) else { return lastTrusted.description }
            if !trustedProxies.containsAddress(address) {
                return address.description
            }
            lastTrusted = address
        }
        return lastTrusted.description
    }
}
