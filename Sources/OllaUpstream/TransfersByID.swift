/// The live transfers of a worker by transfer id: an open-addressing table (linear probing,
/// a power-of-two number of slots, at most half of them used), the id spread over the slots
/// by one multiplication.
///
/// Why not a `[UInt64: Transfer]`: each request added its transfer, looked it up and removed
/// it, and every one of these hashed the id with SipHash (~0.9 K instructions per request
/// with the dictionary's probing and bookkeeping). A transfer carries its id, so a slot holds
/// the transfer alone. Loop thread only.
struct TransfersByID {
    /// The slots: a transfer sits in the slot its id hashes to or in a later one (wrapping),
    /// with no empty slot between the two.
    private var slots: [Transfer?]
    /// How many slots hold a transfer.
    private(set) var count = 0

    /// An empty table with `capacity` slots (rounded up to a power of two, at least 8).
    init(capacity: Int = 16) {
        var size = 8
        while size < capacity { size <<= 1 }
        slots = Array(repeating: nil, count: size)
    }

    /// Whether no transfer is in the table.
    var isEmpty: Bool { count == 0 }

    /// The transfers in the table, in no particular order (a copy).
    var all: [Transfer] { slots.compactMap { $0 } }

    /// Calls `body` with each transfer in the table, in no particular order; `body` must not
    /// change the table.
    func forEach(_ body: (Transfer) -> Void) {
        for index in slots.indices {
            if let transfer = slots[index] { body(transfer) }
        }
    }

    /// The transfer with `id`, nil when none is in the table.
    subscript(id: UInt64) -> Transfer? {
        let mask = slots.count - 1
        var index = Self.home(of: id, mask: mask)
        while let transfer = slots[index] {
            if transfer.transferID == id { return transfer }
            index = (index + 1) & mask
        }
        return nil
    }

    /// Puts `transfer` in the table under its id, in place of a transfer with the same id.
    mutating func insert(_ transfer: Transfer) {
        if (count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var index = Self.home(of: transfer.transferID, mask: mask)
        while let present = slots[index] {
            if present.transferID == transfer.transferID {
                slots[index] = transfer
                return
            }
            index = (index + 1) & mask
        }
        slots[index] = transfer
        count += 1
    }

    /// Takes `transfer` out of the table if it is there (the same object, not merely one with
    /// its id). The transfers after it in its run move back so that each is still found from
    /// its id's slot without crossing an empty one (deletion by backward shift).
    mutating func remove(_ transfer: Transfer) {
        let mask = slots.count - 1
        var hole = Self.home(of: transfer.transferID, mask: mask)
        while true {
            guard let present = slots[hole] else { return }
            if present === transfer { break }
            hole = (hole + 1) & mask
        }
        slots[hole] = nil
        count -= 1
        var index = hole
        while true {
            index = (index + 1) & mask
            guard let moving = slots[index] else { return }
            let home = Self.home(of: moving.transferID, mask: mask)
            // `moving` may fill the hole unless its home slot lies cyclically in (hole, index]:
            // then it is found from there without passing the hole.
            let homeAfterHole = hole <= index ? (home > hole && home <= index) : (home > hole || home <= index)
            if !homeAfterHole {
                slots[hole] = moving
                slots[index] = nil
                hole = index
            }
        }
    }

    /// Twice the slots, every transfer placed again.
    private mutating func grow() {
        let old = slots
        slots = Array(repeating: nil, count: old.count * 2)
        count = 0
        for case let transfer? in old { insert(transfer) }
    }

    /// The slot an id starts its search at: the high bits of the id times 2^64 / φ (Fibonacci
    /// hashing; consecutive ids land far apart).
    private static func home(of id: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: (id &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }
}
