/// Fast extraction of a few top-level fields from a JSON request body.
///
/// The proxy needs the `"model"` (and `"stream"`) of every request it forwards, but the
/// body may hold megabytes of prompt and image data. The scanner makes one linear pass,
/// skips every value it is not asked for without building it, uses no recursion, and
/// returns nil, never traps, for anything that is not exactly one well-formed JSON object.
///
/// Only the top level counts: a `"model"` key inside a nested object (such as a tool's
/// JSON schema) is never matched.
public enum JSONBodyScanner {
    /// The first top-level member whose key is one of `keys` and whose value is a string.
    ///
    /// Keys listed earlier win: with `["model", "name"]` and a body holding both, the
    /// `"model"` value is returned wherever it appears. Among repeated keys the first
    /// occurrence wins. Keys are compared after unescaping (`"mod\u0065l"` is `model`).
    /// Returns nil when no such member exists or the body is not a complete JSON object.
    public static func topLevelString(forKeys keys: [String], in body: UnsafeRawBufferPointer) -> (key: String, value: String)? {
        guard !keys.isEmpty else { return nil }
        var best: (rank: Int, value: String)?
        var walker = JSONTopLevelWalker(bytes: body)
        let isWellFormed = walker.walkMembers { member in
            guard body[member.valueRange.lowerBound] == JSONByte.quote else { return true }
            guard let rank = rank(of: member.key, in: body, among: keys) else { return true }
            if let best, best.rank <= rank { return true }
            guard let value = decodeString(at: member.valueRange.lowerBound, in: body) else { return false }
            best = (rank, value)
            return true
        }
        guard isWellFormed, let best else { return nil }
        return (keys[best.rank], best.value)
    }

    /// The value of the first top-level member named `key` whose value is `true` or
    /// `false`; nil when there is none or the body is not a complete JSON object.
    public static func topLevelBool(forKey key: String, in body: UnsafeRawBufferPointer) -> Bool? {
        var found: Bool?
        var walker = JSONTopLevelWalker(bytes: body)
        let isWellFormed = walker.walkMembers { member in
            guard found == nil, rank(of: member.key, in: body, among: [key]) != nil else { return true }
            switch body[member.valueRange.lowerBound] {
            case UInt8(ascii: "t"): found = true
            case UInt8(ascii: "f"): found = false
            default: break
            }
            return true
        }
        return isWellFormed ? found : nil
    }

    /// The index in `keys` of the key at `extent`, comparing raw bytes when the key has no
    /// escapes (the common case, no allocation) and decoded text otherwise.
    static func rank(of extent: JSONStringLiteral.Extent, in body: UnsafeRawBufferPointer, among keys: [String]) -> Int? {
        if !extent.hasEscapes {
            let raw = extent.content(in: body)
            // Each key's bytes in place against the raw key: `elementsEqual` across the two
            // types went through the generic `Sequence` path (~170 instructions per body).
            for index in keys.indices {
                let key = keys[index].utf8
                if key.withContiguousStorageIfAvailable({ sameBytes($0, raw) }) ?? key.elementsEqual(raw) { return index }
            }
            return nil
        }
        guard let decoded = try? JSONStringLiteral.decode(body, extent) else { return nil }
        return keys.firstIndex(of: decoded)
    }

    /// Whether `key` and `raw` hold the same bytes.
    private static func sameBytes(_ key: UnsafeBufferPointer<UInt8>, _ raw: UnsafeRawBufferPointer) -> Bool {
        key.count == raw.count && ByteSearch.hasPrefix(UnsafeRawBufferPointer(key), in: raw, at: 0)
    }

    static func decodeString(at start: Int, in body: UnsafeRawBufferPointer) -> String? {
        guard let extent = try? JSONStringLiteral.scan(body, from: start) else { return nil }
        return try? JSONStringLiteral.decode(body, extent)
    }
}
