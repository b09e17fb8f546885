extension EndpointConfig {
    /// Reads a `headers` object of name → value strings, in file order.
    ///
    /// Names must be HTTP tokens and values must not contain CR, LF or NUL, because
    /// either would let a config value inject extra headers or split the request.
    static func headers(from field: ConfigField) throws(ConfigError) -> [HTTPHeader] {
        var reader = try field.object()
        var headers: [HTTPHeader] = []
        var namesByLowercase: [String: String] = [:]
        for (name, valueField) in reader.takeAll() {
            guard !name.isEmpty, name.unicodeScalars.allSatisfy(isTokenCharacter) else {
                throw valueField.error(
                    "invalid header name \(JSONValue.quoted(name)): use letters, digits and !#$%&'*+-.^_`|~ only")
            }
            if let earlier = namesByLowercase[name.lowercased()] {
                throw valueField.error("duplicate header \"\(name)\" (header names are case-insensitive; \"\(earlier)\" is already set)")
            }
            namesByLowercase[name.lowercased()] = name
            headers.append(HTTPHeader(name, try headerValue(valueField)))
        }
        return headers
    }

    private static func headerValue(_ field: ConfigField) throws(ConfigError) -> String {
        let value = try field.string()
        let forbidden: Set<Unicode.Scalar> = ["\r", "\n", "\0"]
        guard !value.unicodeScalars.contains(where: forbidden.contains) else {
            throw field.error("header value must not contain CR, LF or NUL characters")
        }
        return value
    }

    /// RFC 9110 `tchar`.
    private static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return false }
        return scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar)
    }
}
