import Glibc

/// The id that follows one request through Olla's logs, the backend and the response.
public enum RequestID {
    /// Reuses a client's `X-Request-ID` when it is a sane token, so ids line up across
    /// systems; anything else (too long, spaces, control bytes) is replaced.
    public static func resolve(inbound: String?) -> String {
        if let inbound, isSane(inbound) { return inbound }
        return generate()
    }

    static func isSane(_ candidate: String) -> Bool {
        guard !candidate.isEmpty, candidate.utf8.count <= 128 else { return false }
        return candidate.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return allowedPunctuation.contains(byte)
            }
        }
    }

    /// RFC 9110 token characters, plus ':', '/' and '=' that common id formats use.
    /// No spaces, quotes of the `"` kind, separators or control bytes: the id goes into logs.
    private static let allowedPunctuation: Set<UInt8> = Set("!#$%&'*+-.^_`|~:/=".utf8)

    /// 128 random bits as 32 lowercase hex digits. glibc's arc4random keeps a per-thread
    /// ChaCha20 buffer, so unlike SystemRandomNumberGenerator it costs no syscall per id.
    public static func generate() -> String {
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { arc4random_buf($0.baseAddress!, $0.count) }
        return hex16(words.0) + hex16(words.1)
    }

    private static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
