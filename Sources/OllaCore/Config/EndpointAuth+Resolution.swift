/// Turning an `auth` block into the header it sends.
extension EndpointAuth {
    /// A credential that could not be resolved: a missing variable or an unreadable file, named.
    public struct ResolutionError: Error, Sendable, CustomStringConvertible {
        /// What is missing, e.g. `environment variable OLLAMA_TOKEN is not set`.
        public let description: String
    }

    /// The header to send. `environment` looks up variables, `readFile` reads `_file` paths
    /// (both injected so this stays pure and testable).
    public func header(
        environment: (String) -> String?, readFile: (String) -> String?
    ) throws(ResolutionError) -> (name: String, value: String) {
        let first = try Self.resolve(primary, environment, readFile)
        switch kind {
        case .bearer:
            return ("Authorization", "Bearer " + first)
        case .apiKey:
            return (header, first)
        case .basic:
            let password = try password.map { secret throws(ResolutionError) in try Self.resolve(secret, environment, readFile) } ?? ""
            return ("Authorization", "Basic " + Base64.encode(Array((first + ":" + password).utf8)))
        }
    }

    static func resolve(
        _ secret: Secret, _ environment: (String) -> String?, _ readFile: (String) -> String?
    ) throws(ResolutionError) -> String {
        switch secret {
        case .inline(let text):
            return try expand(text, environment)
        case .file(let path):
            guard let contents = readFile(path) else {
                throw ResolutionError(description: "cannot read secret file \(path)")
            }
            return contents.trimmingSpaces().trimmingNewlines()
        }
    }

    /// Expands `${VAR}` and `${VAR:-default}`; an unset variable without a default is an error,
    /// so a missing secret stops the start instead of sending no credential.
    static func expand(_ text: String, _ environment: (String) -> String?) throws(ResolutionError) -> String {
        var output = ""
        var rest = Substring(text)
        while let start = rest.firstRange(of: "${") {
            output += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw ResolutionError(description: "unterminated ${ in \(text)")
            }
            let expression = rest[start.upperBound..<end]
            let parts = expression.split(separator: ":-", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            if let value = environment(name), !value.isEmpty {
                output += value
            } else if parts.count == 2 {
                output += parts[1]
            } else {
                throw ResolutionError(description: "environment variable \(name) is not set")
            }
            rest = rest[rest.index(after: end)...]
        }
        return output + rest
    }
}

extension String {
    fileprivate func trimmingNewlines() -> String {
        var text = Substring(self)
        while let last = text.last, last == "\n" || last == "\r" || last == " " { text.removeLast() }
        return String(text)
    }
}

/// Standard base64 (RFC 4648), for Basic credentials.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
