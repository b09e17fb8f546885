/// Checks the API key a client presents against the configured keys (`server.auth`).
///
/// A key is accepted from `Authorization: Bearer <key>` or `X-API-Key: <key>`.
///
/// The comparison is constant-time with respect to the configured keys: the candidate
/// is compared with *every* key, always over the candidate's full length (key bytes are
/// read cyclically, so a shorter key never ends the loop early), the length difference
/// is folded into the same accumulator, and nothing branches on the bytes. The time
/// therefore depends only on the candidate's length (which the client already knows)
/// and the number of keys, never on how much of a key matched or on a key's length.
public struct APIKeyCheck: Sendable {
    private let keys: [[UInt8]]

    /// Creates a check for `keys`; empty strings are ignored. No keys: auth is off.
    public init(keys: [String]) {
        var unique: [[UInt8]] = []
        for key in keys where !key.isEmpty {
            let bytes = Array(key.utf8)
            if !unique.contains(bytes) { unique.append(bytes) }
        }
        self.keys = unique
    }

    /// Whether any key is configured (if not, every request is authorised).
    public var isEnabled: Bool { !keys.isEmpty }

    /// Whether the request's `Authorization` or `X-API-Key` header carries a valid key.
    /// Always true when auth is off.
    public func authorize(authorization: String?, apiKey: String?) -> Bool {
        guard isEnabled else { return true }
        var accepted = false
        if let token = authorization.flatMap(Self.bearerToken) {
            accepted = matches(token) || accepted
        }
        if let apiKey {
            accepted = matches(Self.trimmed(apiKey[...])) || accepted
        }
        return accepted
    }

    /// Splits an environment variable's value (`server.auth.api_keys_env`) into keys:
    /// comma-separated, surrounding whitespace removed, empty entries skipped.
    public static func keys(fromEnvironmentValue value: String) -> [String] {
        value.split(separator: ",").map { String(trimmed($0)) }.filter { !$0.isEmpty }
    }

    /// Compares against every key without early exit; see the type's documentation.
    private func matches(_ candidate: Substring) -> Bool {
        let bytes = Array(candidate.utf8)
        guard !bytes.isEmpty else { return false }
        var matched = false
        for key in keys {
            var difference = UInt(bitPattern: key.count ^ bytes.count)
            for index in bytes.indices {
                difference |= UInt(bytes[index] ^ key[index % key.count])
            }
            // One comparison per key, after the full loop: no early exit on a mismatch.
            matched = (difference == 0) || matched
        }
        return matched
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, RFC 9110); nil otherwise.
    private static func bearerToken(_ header: String) -> Substring? {
        let value = trimmed(header[...])
        guard value.count > 7, value.prefix(7).lowercased() == "bearer " else { return nil }
        return trimmed(value.dropFirst(7))
    }

    private static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
