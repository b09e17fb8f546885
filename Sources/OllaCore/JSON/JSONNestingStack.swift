/// A fixed-capacity stack of "object or array" flags used to skip nested JSON values
/// without recursion and without heap allocation.
///
/// The flags live in inline value types (a word for the first 64 levels, lanes 1–7 of a
/// `SIMD8<UInt64>` for the rest), which bounds the nesting depth the body scanner accepts
/// at 512 (the same as `JSONParser`).
/// A smaller `limit` mirrors a parser built with a smaller `maxDepth`.
struct JSONNestingStack {
    static let capacity = 512

    /// The flags of the first 64 levels (all a request body or an answer's line has), kept
    /// apart: a lane of a SIMD vector chosen at run time is written through memory.
    private var firstLevels: UInt64 = 0
    /// The flags of levels 64 and deeper, in lanes 1 through 7.
    private var bits = SIMD8<UInt64>(repeating: 0)
    private(set) var depth = 0
    /// How many containers may be open at once (at most `capacity`).
    let limit: Int

    init(limit: Int = JSONNestingStack.capacity) {
        self.limit = min(limit, Self.capacity)
    }

    var isEmpty: Bool { depth == 0 }

    /// Whether the innermost open container is an object (as opposed to an array).
    @inline(__always)
    var innermostIsObject: Bool {
        let slot = depth - 1
        if slot < 64 { return firstLevels & (1 << UInt64(slot)) != 0 }
        return bits[slot / 64] & (1 << UInt64(slot % 64)) != 0
    }

    /// Opens a container; returns false when the depth limit is reached.
    @inline(__always)
    mutating func push(isObject: Bool) -> Bool {
        guard depth < limit else { return false }
        let mask: UInt64 = 1 << UInt64(depth % 64)
        if depth < 64 {
            if isObject { firstLevels |= mask } else { firstLevels &= ~mask }
        } else if isObject {
            bits[depth / 64] |= mask
        } else {
            bits[depth / 64] &= ~mask
        }
        depth += 1
        return true
    }

    mutating func pop() {
        depth -= 1
    }
}
