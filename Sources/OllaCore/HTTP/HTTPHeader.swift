/// An HTTP header field (RFC 9110 §5): the name and the value as received, in order.
///
/// The one header type of every module: inbound and outbound requests and answers, the
/// headers Olla adds (CORS, rate limits, `X-Olla-*`), and an endpoint's configured
/// `headers`. Written `HTTPHeader("Content-Type", "text/plain")`.
///
/// A struct rather than a tuple: an array of tuples is destroyed through the runtime's
/// generic tuple code, a struct through its own compiled value witness (issue #14 measured
/// ~5.8 K instructions per small request in `swift_arrayDestroy` + `tuple_destroy`).
///
/// Names compare case-insensitively (RFC 9110 §5.1) and byte-wise over ASCII, without
/// allocating: `HTTPHeaderName.matches(_:_:)`, `HeaderRules.value(of:in:)`; never lowercase a name to
/// compare it (issue #14 measured ~6 K instructions per name doing so).
@frozen
public struct HTTPHeader: Sendable, Hashable {
    /// The field name as received or written (RFC 9110 §5.1); compare it case-insensitively.
    public var name: String
    /// The field value as received or written (RFC 9110 §5.5).
    public var value: String

    /// A field named `name` with value `value`.
    @inlinable
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// A field named `name` with value `value`, as in `HTTPHeader("Content-Type", "text/plain")`.
    @inlinable
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An endpoint's extra header (`headers` in the configuration file).
public typealias EndpointHeader = HTTPHeader

/// Name comparisons for `HTTPHeader`s.
public enum HTTPHeaderName {
    /// Whether `name` is `lowercased` ignoring ASCII case; `lowercased` must be written in
    /// lowercase, as header names are in this code base. One pass over the bytes, no copy.
    /// Inlined into each caller: it runs ~65 times per request, most of them ending at the
    /// length check, where a call's prologue and epilogue cost more than the check.
    @inlinable @inline(__always)
    public static func matches(_ name: String, _ lowercased: StaticString) -> Bool {
        guard name.utf8.count == lowercased.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: lowercased.utf8Start, count: lowercased.utf8CodeUnitCount)
        if let result = name.utf8.withContiguousStorageIfAvailable({ equalsLowercased($0, expected) }) {
            return result
        }
        return name.equalsIgnoringASCIICase(String(decoding: expected, as: UTF8.self))
    }

    /// Compares bytes with lowercase `expected`, folding only ASCII capitals of `bytes`.
    @inlinable
    static func equalsLowercased(_ bytes: UnsafeBufferPointer<UInt8>, _ expected: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == expected.count else { return false }
        for index in 0..<bytes.count {
            let byte = bytes[index]
            let folded = byte &- 0x41 < 26 ? byte | 0x20 : byte
            if folded != expected[index] { return false }
        }
        return true
    }
}
