extension ConfigField {
    /// An array of CIDR ranges such as `["10.0.0.0/8", "fd00::/8"]`; a bare address is
    /// a single host.
    func cidrList() throws(ConfigError) -> [CIDR] {
        var ranges: [CIDR] = []
        for item in try array() {
            let text = try item.string()
            do {
                ranges.append(try CIDR(parsing: text))
            } catch {
                throw item.error("\(error.description); expected e.g. \"10.0.0.0/8\" or \"fd00::/8\"")
            }
        }
        return ranges
    }

    /// `"*"`, a browser origin `scheme://host[:port]`, or one with a single `*` wildcard
    /// (`"http://localhost:*"`, `"https://*.example.com"`, `"app://*"`), lowercased as
    /// browsers send it.
    func origin() throws(ConfigError) -> String {
        let text = try string()
        if text == "*" { return text }
        let expected = "expected \"*\", scheme://host[:port] such as \"https://chat.example.com\", or one with a single * such as \"http://localhost:*\""
        guard text.filter({ $0 == "*" }).count <= 1 else {
            throw error("invalid origin \(JSONValue.quoted(text)): at most one * is allowed; \(expected)")
        }
        // A `*` stands for any host label, port or (after `scheme://`) anything: check the
        // rest with a stand-in of the right shape.
        let standIn = text.hasSuffix("://*") ? text.replacingFirstStar(with: "x")
            : text.contains(":*") && !text.contains("://*") ? text.replacingFirstStar(with: "1")
            : text.replacingFirstStar(with: "x")
        guard let reason = Self.originProblem(standIn) else { return text.lowercased() }
        throw error("invalid origin \(JSONValue.quoted(text)): \(reason); \(expected)")
    }

    /// An HTTP header name (RFC 9110 token) or `"*"`.
    func headerNameOrWildcard() throws(ConfigError) -> String {
        let text = try string()
        guard text == "*" || (!text.isEmpty && text.unicodeScalars.allSatisfy(Self.isTokenCharacter)) else {
            throw error("invalid header name \(JSONValue.quoted(text)): use letters, digits and !#$%&'*+-.^_`|~ only, or \"*\"")
        }
        return text
    }

    /// A portable environment variable name: letters, digits and `_`, not starting with a digit.
    func environmentVariableName() throws(ConfigError) -> String {
        let text = try string()
        let valid = text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
            && !(text.first?.isNumber ?? false)
        guard valid else {
            throw error("must be an environment variable name (letters, digits and _, not starting with a digit), found \(JSONValue.quoted(text))")
        }
        return text
    }

    /// Why `text` is not `scheme://host[:port]`, or nil when it is.
    private static func originProblem(_ text: String) -> String? {
        guard let separator = text.firstRange(of: "://") else { return "missing scheme" }
        let scheme = text[..<separator.lowerBound]
        guard let first = scheme.first, first.isLetter,
              scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return "invalid scheme" }
        var authority = text[separator.upperBound...]
        guard !authority.isEmpty else { return "missing host" }
        if authority.contains(where: { "/?#".contains($0) }) {
            return "an origin has no path, query or fragment (remove everything after the host and port)"
        }
        guard !authority.contains("@") else { return "an origin has no user name or password" }
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]"),
                  IPAddress.parseIPv6(Array(authority[authority.index(after: authority.startIndex)..<close].utf8)) != nil
            else { return "invalid IPv6 host" }
            authority = authority[authority.index(after: close)...]
        } else {
            let host = authority.prefix { $0 != ":" }
            guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }) else {
                return "invalid host"
            }
            authority = authority[host.endIndex...]
        }
        if authority.isEmpty { return nil }
        let port = authority.dropFirst()
        guard authority.first == ":", let number = Int(port), port.allSatisfy(\.isNumber), (1...65_535).contains(number) else {
            return "invalid port"
        }
        return nil
    }

    /// RFC 9110 `tchar`.
    private static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return false }
        return scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar)
    }
}

extension String {
    fileprivate func replacingFirstStar(with replacement: String) -> String {
        guard let star = firstIndex(of: "*") else { return self }
        return String(self[..<star]) + replacement + String(self[index(after: star)...])
    }
}
