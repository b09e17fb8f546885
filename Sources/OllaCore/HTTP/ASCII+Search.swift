extension String {
    /// Whether `needle` occurs in the string, ASCII letters compared case-insensitively (only
    /// `A`-`Z` fold), without allocating: for media types such as `Content-Type`, where
    /// `lowercased()` and `contains` (Unicode case mapping, then a generic substring
    /// search) cost ~50 K instructions at every stream's end. `needle` must be lowercase.
    public func containsIgnoringASCIICase(_ needle: StaticString) -> Bool {
        let count = needle.utf8CodeUnitCount
        guard count > 0 else { return true }
        var copy = self
        return copy.withUTF8 { haystack in
            guard haystack.count >= count else { return false }
            let pattern = UnsafeBufferPointer(start: needle.utf8Start, count: count)
            let first = pattern[0]
            for start in 0...(haystack.count - count) where ASCII.folded(haystack[start]) == first {
                var offset = 1
                while offset < count, ASCII.folded(haystack[start + offset]) == pattern[offset] { offset += 1 }
                if offset == count { return true }
            }
            return false
        }
    }
}
