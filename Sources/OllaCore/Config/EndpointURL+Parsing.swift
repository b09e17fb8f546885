extension EndpointURL {
    /// Why a URL was rejected, phrased to complete "invalid URL "...": ".
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Why, e.g. `expected http:// or https://`.
        public let reason: String

        /// Creates an error with its reason.
        public init(reason: String) {
            self.reason = reason
        }

        /// The reason alone; callers put the URL in front of it.
        public var description: String { reason }
    }

    /// Parses an absolute `http://` or `https://` URL with a host, optional port and
    /// optional base path; queries, fragments and credentials are rejected because a
    /// base URL has paths appended to it.
    public init(parsing text: String) throws(ParseError) {
        let (scheme, rest) = try Self.splitScheme(text)
        try Self.checkCharacters(rest)
        if rest.contains("?") {
            throw ParseError(reason: "must not contain a query string ('?...')")
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let (host, port) = try Self.parseAuthority(rest[..<authorityEnd])
        let path = String(rest[authorityEnd...])
        try Self.checkPercentEncoding(path)
        self.init(scheme: scheme, host: host, port: port, basePath: Self.trimmingTrailingSlashes(path))
    }

    /// Checks a `health_check_url` / `model_url` value: a path starting with a single `/`
    /// (a query is allowed) or an absolute http(s) URL.
    public static func validateReference(_ text: String) throws(ParseError) {
        if text.hasPrefix("//") {
            throw ParseError(reason: "must be a path starting with a single '/' or an absolute http:// or https:// URL")
        }
        if text.hasPrefix("/") {
            try checkCharacters(text)
            try checkPercentEncoding(text)
            return
        }
        guard text.lowercased().hasPrefix("http://") || text.lowercased().hasPrefix("https://") else {
            throw ParseError(reason: "must be a path starting with '/' or an absolute http:// or https:// URL")
        }
        let beforeQuery = text.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        _ = try EndpointURL(parsing: String(beforeQuery))
        try checkCharacters(text)
    }

    private static func splitScheme(_ text: String) throws(ParseError) -> (Scheme, Substring) {
        guard let separator = text.firstRange(of: "://"),
              let scheme = Scheme(rawValue: text[..<separator.lowerBound].lowercased())
        else {
            throw ParseError(reason: "must start with http:// or https://")
        }
        return (scheme, text[separator.upperBound...])
    }

    /// Splits `host[:port]` or `[ipv6][:port]`.
    private static func parseAuthority(_ authority: Substring) throws(ParseError) -> (String, Int?) {
        if authority.contains("@") {
            throw ParseError(reason: "must not contain credentials ('user@'); send them with 'headers' instead")
        }
        let host: Substring
        let portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw ParseError(reason: "has an unterminated IPv6 address ('[' without ']')")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let afterHost = authority[authority.index(after: close)...]
            guard afterHost.isEmpty || afterHost.hasPrefix(":") else {
                throw ParseError(reason: "has unexpected characters after the IPv6 address")
            }
            portText = afterHost.isEmpty ? nil : afterHost.dropFirst()
            try checkIPv6(host)
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else {
                throw ParseError(reason: "has more than one ':' in the host (write IPv6 addresses in brackets)")
            }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
            try checkHostName(host)
        }
        return (host.lowercased(), try portText.map(parsePort))
    }

    private static func parsePort(_ text: Substring) throws(ParseError) -> Int {
        guard text.allSatisfy(\.isASCIIDigit), let port = Int(text), ServerConfig.portRange.contains(port) else {
            throw ParseError(reason: "has an invalid port \"\(text)\" (must be a number between 1 and 65535)")
        }
        return port
    }

    private static func checkHostName(_ host: Substring) throws(ParseError) {
        guard !host.isEmpty else {
            throw ParseError(reason: "has no host")
        }
        let allowed = host.unicodeScalars.allSatisfy { scalar in
            (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)))
                || scalar == "-" || scalar == "." || scalar == "_"
        }
        guard allowed else {
            throw ParseError(reason: "has an invalid host \"\(host)\" (letters, digits, '-', '.' and '_' only)")
        }
    }

    private static func checkIPv6(_ host: Substring) throws(ParseError) {
        let allowed = host.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." }
        guard !host.isEmpty, allowed, host.contains(":") else {
            throw ParseError(reason: "has an invalid IPv6 address \"[\(host)]\"")
        }
    }

    /// Rejects what can never appear in a URL unescaped: spaces, control and non-ASCII
    /// characters, and fragments (which are never sent to a server).
    private static func checkCharacters(_ text: some StringProtocol) throws(ParseError) {
        for scalar in text.unicodeScalars {
            if scalar.value <= 0x20 || scalar.value == 0x7F {
                throw ParseError(reason: "must not contain spaces or control characters")
            }
            if !scalar.isASCII {
                throw ParseError(reason: "must not contain non-ASCII characters (percent-encode them)")
            }
            if scalar == "#" {
                throw ParseError(reason: "must not contain a fragment ('#...')")
            }
        }
    }

    /// Every `%` must start a `%XX` escape.
    private static func checkPercentEncoding(_ text: String) throws(ParseError) {
        let scalars = Array(text.unicodeScalars)
        for index in scalars.indices where scalars[index] == "%" {
            guard index + 2 < scalars.count,
                  scalars[index + 1].properties.isASCIIHexDigit,
                  scalars[index + 2].properties.isASCIIHexDigit
            else {
                throw ParseError(reason: "has a '%' that is not followed by two hex digits")
            }
        }
    }

    private static func trimmingTrailingSlashes(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.hasSuffix("/") {
            trimmed.removeLast()
        }
        return String(trimmed)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
