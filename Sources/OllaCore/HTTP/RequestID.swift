import Synchronization

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
            // RFC 9110 token characters, plus ':', '/' and '=' that common id formats use.
            // No spaces, quotes of the `"` kind, separators or control bytes: the id goes into logs.
            case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
                 UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"),
                 UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "="):
                return true
            default:
                return false
            }
        }
    }

    /// 32 lowercase hex digits: a per-process counter mixed with a random key drawn once.
    /// SplitMix64's finalizer is a bijection, so ids never repeat within a process, and the
    /// random key keeps processes apart. Ids are for correlation, not secrets: no syscall per
    /// id (glibc 2.36's arc4random calls getrandom every time).
    public static func generate() -> String {
        let n = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        let (high, low) = (mix(n ^ key.0), mix(n &+ key.1))
        // Written straight into the string's storage: no intermediate strings.
        return String(unsafeUninitializedCapacity: 32) { output in
            for index in 0..<16 {
                output[index] = hexDigit(high >> UInt64(60 - 4 * index))
                output[16 + index] = hexDigit(low >> UInt64(60 - 4 * index))
            }
            return 32
        }
    }

    /// The lowercase hex digit of the low four bits of `value`.
    @inline(__always)
    private static func hexDigit(_ value: UInt64) -> UInt8 {
        let nibble = UInt8(truncatingIfNeeded: value & 0xF)
        return nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    private static let counter = Atomic<UInt64>(0)
    private static let key: (UInt64, UInt64) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }()

    /// SplitMix64's output function.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
