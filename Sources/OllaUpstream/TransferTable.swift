/// The worker loop's live transfers, by id and by easy handle, and the pool of idle easy
/// handles they borrow. Loop thread only.
final class TransferTable {
    private var byID: [UInt64: Transfer] = [:]
    private var byHandle: [Curl.Easy: Transfer] = [:]
    private var idleHandles: [Curl.Easy] = []
    /// Idle handles kept for reuse; beyond this they are freed.
    static let poolLimit = 256

    var isEmpty: Bool { byID.isEmpty }

    /// Every live transfer (a copy: the caller may remove while iterating).
    var all: [Transfer] { Array(byID.values) }

    subscript(id: UInt64) -> Transfer? { byID[id] }

    subscript(easy: Curl.Easy) -> Transfer? { byHandle[easy] }

    /// A reset handle from the pool, or a new one.
    func takeHandle() throws(CurlError) -> Curl.Easy {
        if let easy = idleHandles.popLast() {
            Curl.reset(easy)
            return easy
        }
        return try Curl.easyInit()
    }

    /// Returns a handle that never carried a transfer (its start failed) to the pool.
    func giveBack(_ easy: Curl.Easy) {
        if idleHandles.count < Self.poolLimit {
            idleHandles.append(easy)
        } else {
            Curl.cleanup(easy)
        }
    }

    func add(_ transfer: Transfer) {
        byID[transfer.transferID] = transfer
        byHandle[transfer.easy] = transfer
    }

    /// Forgets `transfer` (already out of the multi handle) and pools its handle.
    func remove(_ transfer: Transfer) {
        if byID[transfer.transferID] === transfer { byID[transfer.transferID] = nil }
        byHandle[transfer.easy] = nil
        giveBack(transfer.easy)
    }

    func releaseIdleHandles() {
        for easy in idleHandles { Curl.cleanup(easy) }
        idleHandles.removeAll()
    }
}
