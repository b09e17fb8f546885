/// A fixed-capacity stack of "object or array" flags used to skip nested JSON values
/// without recursion and without heap allocation.
///
/// The flags live in the 512 bits of a `SIMD8<UInt64>`, an inline value type, which
/// bounds the nesting depth the body scanner accepts at 512 (the same as `JSONParser`).
/// A smaller `limit` mirrors a parser built with a smaller `maxDepth`.
struct JSONNestingStack {
    static let capacity = 512

    private var bits = SIMD8<UInt64>(repeating: 0)
    private(set) var depth = 0
    /// How many containers may be open at once (at most `capacity`).
    let limit: Int

    init(limit: Int = JSONNestingStack.capacity) {
        self.limit = min(limit, Self.capacity)
    }

    var isEmpty: Bool { depth == 0 }

    /// Whether the innermost open container is an object (as opposed to an array).
    var innermostIsObject: Bool {
        let slot = depth - 1
        return bits[slot / 64] & (1 << UInt64(slot % 64)) != 0
    }

    /// Opens a container; returns false when the depth limit is reached.
    mutating func push(isObject: Bool) -> Bool {
        guard depth < limit else { return false }
        let mask: UInt64 = 1 << UInt64(depth % 64)
        if isObject {
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
