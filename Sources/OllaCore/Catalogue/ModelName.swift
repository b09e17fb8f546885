/// Model-name matching as Ollama does it.
///
/// An Ollama model name is `[host/][namespace/]model[:tag]`. Ollama compares names
/// case-insensitively and fills in the tag `latest` when none is given, so `Llama3`,
/// `llama3` and `llama3:latest` all name the same model. The tag is whatever follows a
/// `:` in the *last* `/`-separated segment: in `myhost:5000/team/coder` the `:5000` is a
/// port, and the model has no tag.
///
/// Deliberately not folded: Ollama's default host and namespace. Ollama itself treats
/// `registry.ollama.ai/library/llama3` as `llama3`, but a name's path is kept as written
/// here (`library/llama3` stays `library/llama3:latest`), so such a name only matches a
/// model listed under that same path.
public enum ModelName {
    /// The tag Ollama assumes when a name has none.
    public static let defaultTag = "latest"

    /// The namespace Ollama assumes (and reports as `owned_by`) when a name has none.
    public static let defaultNamespace = "library"

    /// The form under which two names are equal exactly when Ollama treats them as the
    /// same model: lowercased, with `:latest` added when the last segment has no tag.
    ///
    /// A digest suffix (`name@sha256:...`) is kept as is; its `:` is not a tag.
    ///
    /// Names are ASCII in practice (Ollama's `types/model/name.go` allows letters, digits,
    /// `_`, `-`, `.` and `:` in parts); those are folded byte by byte in one pass, the rest
    /// through Unicode lowercasing.
    public static func canonical(_ name: String) -> String {
        var name = name
        if let folded = name.withUTF8({ asciiCanonical($0) }) { return folded }
        return unicodeCanonical(name)
    }

    /// `canonical` of an all-ASCII name in one pass over its bytes; nil when a byte is not ASCII.
    private static func asciiCanonical(_ name: UnsafeBufferPointer<UInt8>) -> String? {
        var lastSlash = -1, lastAt = -1
        for (index, byte) in name.enumerated() {
            if byte >= 0x80 { return nil }
            if byte == UInt8(ascii: "/") { lastSlash = index; lastAt = -1 } else if byte == UInt8(ascii: "@") { lastAt = index }
        }
        // Only an `@` in the last segment starts a digest; the tag is the last `:` before it.
        let baseEnd = lastAt >= 0 ? lastAt : name.count
        var lastColon = -1
        var index = baseEnd - 1
        while index > lastSlash {
            if name[index] == UInt8(ascii: ":") { lastColon = index; break }
            index -= 1
        }
        let suffix: StaticString = lastColon < 0 ? ":latest" : lastColon == baseEnd - 1 ? "latest" : ""
        return String(unsafeUninitializedCapacity: name.count + suffix.utf8CodeUnitCount) { output in
            var written = 0
            func append(_ byte: UInt8) {
                output[written] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                written += 1
            }
            for index in 0..<baseEnd { append(name[index]) }
            for offset in 0..<suffix.utf8CodeUnitCount { append(suffix.utf8Start[offset]) }
            for index in baseEnd..<name.count { append(name[index]) }
            return written
        }
    }

    /// `canonical` by `String` operations, for names with non-ASCII characters.
    static func unicodeCanonical(_ name: String) -> String {
        let lowered = name.lowercased()
        let (base, digest) = splitDigest(lowered)
        let lastSegment = base[lastSegmentStart(of: base)...]
        var result = String(base)
        if let colon = lastSegment.lastIndex(of: ":") {
            if lastSegment.index(after: colon) == lastSegment.endIndex {
                result += defaultTag  // "llama3:" means the default tag too
            }
        } else {
            result += ":" + defaultTag
        }
        if let digest {
            result += "@" + digest
        }
        return result
    }

    /// Whether `a` and `b` name the same model by Ollama's rules.
    public static func matches(_ a: String, _ b: String) -> Bool {
        canonical(a) == canonical(b)
    }

    /// The namespace part of a name, as Ollama's `/v1/models` reports it in `owned_by`:
    /// the segment before the model segment (`hf.co/bartowski/x:Q4` → `bartowski`,
    /// `jmorgan/tiny` → `jmorgan`), or `library` for a plain name. Case is kept.
    public static func namespace(of name: String) -> String {
        let (base, _) = splitDigest(Substring(name))
        let segments = base.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count >= 2, !segments[segments.count - 2].isEmpty else { return defaultNamespace }
        return String(segments[segments.count - 2])
    }

    private static func splitDigest(_ name: some StringProtocol) -> (base: Substring, digest: Substring?) {
        let name = Substring(name)
        // Only an `@` in the last segment starts a digest.
        guard let at = name[lastSegmentStart(of: name)...].lastIndex(of: "@") else { return (name, nil) }
        return (name[..<at], name[name.index(after: at)...])
    }

    private static func lastSegmentStart(of name: Substring) -> Substring.Index {
        name.lastIndex(of: "/").map { name.index(after: $0) } ?? name.startIndex
    }
}
