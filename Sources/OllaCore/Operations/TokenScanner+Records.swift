/// Finding the records of a tail that can hold usage, last first, without reading the others.
extension TokenScanner {
    /// The first match of `extract` on the whole tail as one document, else on its lines from
    /// last to first (an SSE `data:` prefix and a trailing CR removed), the order in which
    /// `TokenScannerReference` parses them. A first line cut off by the tail window simply
    /// fails to read and is skipped.
    ///
    /// Only documents holding `marker` are read: `extract` must need a field whose name
    /// contains it. A name can also be spelled with `\u` escapes, so a record holding `\u`
    /// is read too (backends escape `<`, `>` and `&` that way in text). `lastMarker`: what
    /// `lastMarker(marker, in: tail)` answered, when the caller asked it first.
    static func lastDocument(in tail: UnsafeRawBufferPointer, marker: StaticString, lastMarker known: Int? = nil,
                             _ extract: (TailObject) -> TokenUsage?) -> TokenUsage? {
        let markers = MarkerSearch(tail: tail, marker: marker.bytes)
        guard var candidate = known ?? markers.last(before: tail.count) else { return nil }
        if let usage = extract(TailObject(bytes: tail)) { return usage }
        while true {
            let lineStart = ByteSearch.lastIndex(of: JSONByte.lineFeed, in: tail, 0..<candidate).map { $0 + 1 } ?? 0
            let lineEnd = ByteSearch.firstIndex(of: JSONByte.lineFeed, in: tail, candidate..<tail.count) ?? tail.count
            var start = lineStart, end = lineEnd
            if tail[end - 1] == JSONByte.carriageReturn { end -= 1 }
            if ByteSearch.hasPrefix(Self.dataField.bytes, in: tail, at: start), start + 5 <= end { start += 5 }
            // A line that is the whole tail but for whitespace was read as the whole tail.
            let isWholeTail = start == 0 && (end..<tail.count).allSatisfy { JSONByte.isWhitespace(tail[$0]) }
            if !isWholeTail, let usage = extract(TailObject(bytes: UnsafeRawBufferPointer(rebasing: tail[start..<end]))) {
                return usage
            }
            guard let previous = markers.last(before: lineStart) else { return nil }
            candidate = previous
        }
    }

    private static let dataField: StaticString = "data:"

    /// Whether `tail` holds `marker` or a `\u` escape anywhere: false means no record or
    /// object in it can name a field containing `marker`.
    static func mayHold(_ marker: StaticString, in tail: UnsafeRawBufferPointer) -> Bool {
        lastMarker(marker, in: tail) != nil
    }

    /// Where the last `marker` or `\u` escape of `tail` starts; nil means no record or
    /// object in it can name a field containing `marker`. Handed on to `lastDocument`, which
    /// would search for it again.
    static func lastMarker(_ marker: StaticString, in tail: UnsafeRawBufferPointer) -> Int? {
        MarkerSearch(tail: tail, marker: marker.bytes).last(before: tail.count)
    }

    /// The last `"usage": {...}` object in the tail, found by its key. Answers whose last
    /// document is longer than the tail (a long non-streamed answer; a Responses
    /// `response.completed` event, which repeats the whole output) still end with their usage.
    /// The last such key decides: when its object is malformed, there is no usage.
    static func lastUsageObject(in tail: UnsafeRawBufferPointer) -> TailObject? {
        let key: StaticString = #""usage""#
        var searchEnd = tail.count
        // Anchored on the `g`, the rarest of the key's letters in English text.
        while let keyStart = ByteSearch.lastIndex(of: key.bytes, anchor: 4, in: tail, 0..<searchEnd) {
            searchEnd = keyStart
            var index = keyStart + key.utf8CodeUnitCount
            while index < tail.count, JSONByte.isWhitespace(tail[index]) { index += 1 }
            guard index < tail.count, tail[index] == JSONByte.colon else { continue }
            index += 1
            while index < tail.count, JSONByte.isWhitespace(tail[index]) { index += 1 }
            guard index < tail.count, tail[index] == JSONByte.openBrace, let end = objectEnd(in: tail, from: index) else {
                continue
            }
            let object = TailObject(bytes: UnsafeRawBufferPointer(rebasing: tail[index..<end]))
            return object.walk(maxDepth: maxDepth) { _ in } ? object : nil
        }
        return nil
    }

    /// One past the brace that closes the object opening at `start`, skipping strings.
    /// Brackets and braces count alike; a mismatch is caught when the object is read.
    private static func objectEnd(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        for index in start..<bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == JSONByte.backslash { escaped = true } else if byte == JSONByte.quote { inString = false }
                continue
            }
            switch byte {
            case JSONByte.quote: inString = true
            case JSONByte.openBrace, JSONByte.openBracket: depth += 1
            case JSONByte.closeBrace, JSONByte.closeBracket:
                depth -= 1
                if depth == 0 { return index + 1 }
            default: break
            }
        }
        return nil
    }
}

/// Where a marker (a piece of a field name) or a `\u` escape occurs in a tail, last first.
///
/// Candidates are found by their first two bytes (`_c` of `_count`, `\u`), sixty-four
/// positions per step with SIMD compares (SSE2's `pcmpeqb`/`pmovmskb` on x86-64), then
/// checked whole. A tail that holds no usage is searched to its start, so the step's cost
/// is the cost of every stream end without counts (OpenAI's without `include_usage`): about
/// one instruction per byte, where a search for one anchor byte a word at a time cost three,
/// and stopped at every `created_at` or `chunk` on the way.
private struct MarkerSearch {
    let tail: UnsafeRawBufferPointer
    /// A piece of a field name (`_count`, `_tokens`, `_start`): at least two bytes, no
    /// backslash, no line feed.
    let marker: UnsafeRawBufferPointer

    init(tail: UnsafeRawBufferPointer, marker: UnsafeRawBufferPointer) {
        precondition(marker.count >= 2, "a marker has at least two bytes")
        self.tail = tail
        self.marker = marker
    }

    /// The last index before `end` where the marker or a `\u` starts (the match may run past
    /// `end`; it lies on the line being left, which the caller has read already).
    func last(before end: Int) -> Int? {
        var end = min(end, tail.count - 1)  // a candidate is two bytes
        while let found = lastPair(before: end) {
            if tail[found] == JSONByte.backslash || ByteSearch.hasPrefix(marker, in: tail, at: found) { return found }
            end = found
        }
        return nil
    }

    /// The last index `p < end` where the marker's first two bytes or `\u` start; `end`
    /// is at most `tail.count - 1`, so `p + 1` is inside the tail.
    private func lastPair(before end: Int) -> Int? {
        var end = end
        if let base = tail.baseAddress {
            let first = SIMD16<UInt8>(repeating: marker[0]), second = SIMD16<UInt8>(repeating: marker[1])
            let backslash = SIMD16<UInt8>(repeating: JSONByte.backslash), u = SIMD16<UInt8>(repeating: JSONByte.lowercaseU)
            /// Which of the sixteen positions `start ..< start + 16` start a candidate (the
            /// bytes `start ... start + 16` are read).
            func candidates(at start: Int) -> SIMDMask<SIMD16<Int8>> {
                let these = base.loadUnaligned(fromByteOffset: start, as: SIMD16<UInt8>.self)
                let next = base.loadUnaligned(fromByteOffset: start + 1, as: SIMD16<UInt8>.self)
                return ((these .== first) .& (next .== second)) .| ((these .== backslash) .& (next .== u))
            }
            /// Whether any lane is set: the mask's two words or'ed (`any(_:)` of a mask built
            /// from four blocks was compiled as a call to a generic `min()`).
            func holdsAny(_ mask: SIMDMask<SIMD16<Int8>>) -> Bool {
                let words = unsafeBitCast(mask, to: SIMD2<UInt64>.self)
                return words[0] | words[1] != 0
            }
            // Sixty-four positions per test while the tail has no candidate (one branch
            // instead of four), then the block of sixteen that holds the last one.
            while end >= 64, !holdsAny(candidates(at: end - 16) .| candidates(at: end - 32)
                                       .| candidates(at: end - 48) .| candidates(at: end - 64)) {
                end -= 64
            }
            // The block that holds the last candidate gives its position from the mask (the
            // highest lane set), without a byte loop back to it.
            while end >= 16 {
                let words = unsafeBitCast(candidates(at: end - 16), to: SIMD2<UInt64>.self)
                // Lane k is byte k of the sixteen, whatever the host's byte order.
                let low = UInt64(littleEndian: words[0]), high = UInt64(littleEndian: words[1])
                if high != 0 { return end - 16 + 8 + (63 - high.leadingZeroBitCount) / 8 }
                if low != 0 { return end - 16 + (63 - low.leadingZeroBitCount) / 8 }
                end -= 16
            }
        }
        while end > 0 {
            end -= 1
            let byte = tail[end], following = tail[end + 1]
            if (byte == marker[0] && following == marker[1]) || (byte == JSONByte.backslash && following == JSONByte.lowercaseU) {
                return end
            }
        }
        return nil
    }
}
