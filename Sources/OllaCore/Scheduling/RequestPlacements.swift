/// Which instance (its position in `ResidencyScheduler.fleet`) runs each dispatched request,
/// by request id: an open-addressing table with linear probing.
///
/// Every scheduled request is looked up here four times (dispatched: read and write, first
/// byte, end). A `Dictionary` keyed by `UInt64` hashed each id with SipHash (~140
/// instructions a lookup with the probe); ids are unique integers, so a multiplicative hash
/// spreads them as well for a table that holds only the requests in flight.
struct RequestPlacements: Sendable, Equatable {
    /// One bucket: `position` < 0 is empty.
    private struct Bucket: Sendable {
        var id: UInt64
        var position: Int
    }

    private var buckets: [Bucket]
    /// log2 of `buckets.count`.
    private var scale: Int
    /// Entries held.
    private(set) var count = 0

    /// An empty table.
    init() {
        scale = 4
        buckets = Array(repeating: Bucket(id: 0, position: -1), count: 1 << 4)
    }

    /// Whether nothing is placed.
    var isEmpty: Bool { count == 0 }

    private var mask: Int { buckets.count &- 1 }

    /// The bucket `id` starts probing at: Fibonacci hashing, the top `scale` bits of the
    /// product (consecutive ids land far apart).
    private func ideal(_ id: UInt64) -> Int {
        Int(truncatingIfNeeded: (id &* 0x9E37_79B9_7F4A_7C15) &>> UInt64(64 &- scale))
    }

    /// The bucket holding `id`, or the empty bucket where it would go.
    private func find(_ id: UInt64) -> (bucket: Int, found: Bool) {
        var bucket = ideal(id)
        while true {
            let entry = buckets[bucket]
            if entry.position < 0 { return (bucket, false) }
            if entry.id == id { return (bucket, true) }
            bucket = (bucket &+ 1) & mask
        }
    }

    /// The position request `id` was placed on; setting nil removes it.
    subscript(id: UInt64) -> Int? {
        get {
            let (bucket, found) = find(id)
            return found ? buckets[bucket].position : nil
        }
        set {
            if let newValue {
                precondition(newValue >= 0, "a placement is a position in the fleet")
                insert(id, newValue)
            } else {
                removeValue(forKey: id)
            }
        }
    }

    /// Places `id` on `position` (replacing any placement it had).
    private mutating func insert(_ id: UInt64, _ position: Int) {
        let (bucket, found) = find(id)
        if found {
            buckets[bucket].position = position
            return
        }
        // At most half full: probes stay short.
        if (count &+ 1) &* 2 > buckets.count {
            grow()
            insert(id, position)
            return
        }
        buckets[bucket] = Bucket(id: id, position: position)
        count &+= 1
    }

    /// Removes `id`'s placement.
    /// - Returns: the position it had, if any.
    @discardableResult
    mutating func removeValue(forKey id: UInt64) -> Int? {
        var (hole, found) = find(id)
        guard found else { return nil }
        let position = buckets[hole].position
        buckets[hole].position = -1
        count &-= 1
        // Backward-shift deletion: each entry after the hole that may move into it does, so
        // every entry stays reachable from its ideal bucket without tombstones.
        var next = (hole &+ 1) & mask
        while buckets[next].position >= 0 {
            let home = ideal(buckets[next].id)
            // `next` may fill `hole` when its home is not in the cyclic range (hole, next].
            if (next &- home) & mask >= (next &- hole) & mask {
                buckets[hole] = buckets[next]
                buckets[next].position = -1
                hole = next
            }
            next = (next &+ 1) & mask
        }
        return position
    }

    private mutating func grow() {
        let old = buckets
        scale &+= 1
        buckets = Array(repeating: Bucket(id: 0, position: -1), count: 1 << scale)
        count = 0
        for entry in old where entry.position >= 0 { insert(entry.id, entry.position) }
    }

    /// Every placement, in no particular order.
    var entries: [(id: UInt64, position: Int)] {
        buckets.compactMap { $0.position >= 0 ? ($0.id, $0.position) : nil }
    }

    /// The placements whose position `transform` maps to a new one; the others are dropped.
    func compactMapValues(_ transform: (Int) -> Int?) -> RequestPlacements {
        var next = RequestPlacements()
        for (id, position) in entries {
            if let moved = transform(position) { next[id] = moved }
        }
        return next
    }

    /// Equal tables: the same placements, whatever their layout.
    static func == (a: RequestPlacements, b: RequestPlacements) -> Bool {
        guard a.count == b.count else { return false }
        for (id, position) in a.entries where b[id] != position { return false }
        return true
    }
}
