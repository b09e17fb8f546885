/// Model-name matching as Ollama does it.
///
/// An Ollama model name is `[host/][namespace/]model[:tag]`. Ollama compares names
/// case-insensitively and fills in the tag `latest` when none is given, so `Llama3`,
/// `llama3` and `llama3:latest` all name the same model. The tag is whatever follows a
/// `:` in the *last* `/`-separated segment: in `myhost:5000/team/coder` the `:5000` is a
/// port, and the model has no tag.
///
/// Ollama also fills in its default host and namespace (`registry.ollama.ai/library/`) and
/// drops an `http://` or `https://` in front (`types/model/name.go`: `ParseName` with
/// `FillDefault`, compared by `EqualFold`), so `library/llama3`,
/// `registry.ollama.ai/library/llama3:latest` and `https://registry.ollama.ai/library/Llama3`
/// name `llama3:latest` too, and `registry.ollama.ai/jmorgan/tiny` names `jmorgan/tiny`. The
/// canonical form leaves those defaults out, as Ollama's `/api/tags` shows names
/// (`DisplayShortest`): a default part is dropped only from the left and only while every
/// part before it was a default too, so `myhost/library/llama3` keeps its path.
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
        let start = lastSlash < 0 ? 0 : defaultsEnd(of: name, before: lastSlash)
        let suffix: StaticString = lastColon < 0 ? ":latest" : lastColon == baseEnd - 1 ? "latest" : ""
        return String(unsafeUninitializedCapacity: name.count - start + suffix.utf8CodeUnitCount) { output in
            // Three plain loops (a nested `append` capturing the count was not inlined: ~200
            // instructions per name, on every request's path). The suffix is lowercase already.
            var written = 0
            for index in start..<baseEnd {
                let byte = name[index]
                output[written] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                written += 1
            }
            for offset in 0..<suffix.utf8CodeUnitCount {
                output[written] = suffix.utf8Start[offset]
                written += 1
            }
            for index in baseEnd..<name.count {
                let byte = name[index]
                output[written] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                written += 1
            }
            return written
        }
    }

    /// Where a name starts once Ollama's defaults in front of it are dropped: an `http://` or
    /// `https://` (exact case, as `name.go`'s `parts` strips it), then the default host when
    /// three segments are left, then the namespace `library` when two are left (`[host/]
    /// [namespace/]model`: with two segments the host is the default one). Names Ollama
    /// would refuse (more than three segments, an empty segment, no model part) are kept whole.
    /// - Parameter lastSlash: the offset of the name's last `/`.
    static func defaultsEnd(of name: UnsafeBufferPointer<UInt8>, before lastSlash: Int) -> Int {
        var start = 0
        if hasPrefix(name, at: 0, "http://", foldingCase: false) {
            start = 7
        } else if hasPrefix(name, at: 0, "https://", foldingCase: false) {
            start = 8
        }
        guard start <= lastSlash else { return start }
        var firstSlash = -1, slashes = 0
        for index in start...lastSlash where name[index] == UInt8(ascii: "/") {
            if firstSlash < 0 { firstSlash = index }
            slashes += 1
        }
        if slashes > 2 { return start }
        if slashes == 2 {
            guard firstSlash - start == 18, hasPrefix(name, at: start, "registry.ollama.ai", foldingCase: true)
            else { return start }
            start = firstSlash + 1
        }
        guard lastSlash - start == 7, hasPrefix(name, at: start, "library", foldingCase: true),
              lastSlash + 1 < name.count, name[lastSlash + 1] != UInt8(ascii: ":"), name[lastSlash + 1] != UInt8(ascii: "@")
        else { return start }
        return lastSlash + 1
    }

    /// Whether `name` holds `prefix` at `offset`, ASCII letters compared case-insensitively
    /// when `foldingCase`.
    private static func hasPrefix(_ name: UnsafeBufferPointer<UInt8>, at offset: Int, _ prefix: StaticString,
                                  foldingCase: Bool) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard name.count - offset >= count else { return false }
        for index in 0..<count {
            var byte = name[offset + index]
            if foldingCase, byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte |= 0x20 }
            if byte != prefix.utf8Start[index] { return false }
        }
        return true
    }

    /// `canonical` by `String` operations, for names with non-ASCII characters.
    static func unicodeCanonical(_ name: String) -> String {
        // The defaults are ASCII: find where they end on the bytes, before lowering.
        var bytes = Array(name.utf8)
        let start = bytes.withUnsafeBufferPointer { buffer -> Int in
            let (base, _) = splitDigest(Substring(name))
            guard let lastSlash = base.utf8.lastIndex(of: UInt8(ascii: "/")) else { return 0 }
            return defaultsEnd(of: buffer, before: name.utf8.distance(from: name.utf8.startIndex, to: lastSlash))
        }
        bytes.removeFirst(start)
        let lowered = String(decoding: bytes, as: UTF8.self).lowercased()
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
