import OllaEngine

/// The worker loop's live transfers, by id and by easy handle, and the pool of idle easy
/// handles they borrow. Loop thread only: the run-time exclusivity checks of its fields
/// (~80 instructions per access; `isEmpty` is asked every loop round) are left out.
final class TransferTable {
    @exclusivity(unchecked) private var byID = TransfersByID()
    // By easy handle: each running transfer and the `EasyHandle` it borrowed point at each
    // other (`Transfer.handle`, `EasyHandle.transfer`), and the easy handle leads to its
    // `EasyHandle` through `CURLOPT_PRIVATE`: no table by handle to update and search.
    @exclusivity(unchecked) private var idleHandles: [EasyHandle] = []
    /// Idle handles kept for reuse; beyond this they are freed.
    static let poolLimit = 256

    /// Set once by the transport that owns the table: every new handle opens and closes its
    /// backend sockets through the transport's callbacks (`CurlSockets`), with this as their
    /// user pointer. Nil (tests): libcurl opens and closes them itself.
    var socketOwner: UnsafeMutableRawPointer?

    var isEmpty: Bool { byID.isEmpty }

    /// Every live transfer (a copy: the caller may remove while iterating).
    var all: [Transfer] { byID.all }

    /// The live transfers whose first-byte or idle limit ran out at `now`, each with the
    /// failure it ends with (`Transfer.expiredTimeout`). The tick's question: no copy of the
    /// table, and nothing allocated while none ran out.
    func expired(now: ContinuousClock.Instant) -> [(transfer: Transfer, failure: UpstreamFailure)] {
        var expired: [(transfer: Transfer, failure: UpstreamFailure)] = []
        byID.forEach { transfer in
            if let failure = transfer.expiredTimeout(now: now) { expired.append((transfer, failure)) }
        }
        return expired
    }

    subscript(id: UInt64) -> Transfer? { byID[id] }

    subscript(easy: Curl.Easy) -> Transfer? { EasyHandle.owning(easy)?.transfer }

    /// A handle from the pool, or a new one with the options every transfer shares
    /// (`RequestOptions.applyShared`). Pooled handles are not reset: `RequestOptions.apply`
    /// sets every option a transfer may change.
    func takeHandle() throws(CurlError) -> EasyHandle {
        if let handle = idleHandles.popLast() { return handle }
        let handle = try EasyHandle()
        try RequestOptions.applyShared(to: handle.easy)
        if let socketOwner { try CurlSockets.install(on: handle.easy, owner: socketOwner) }
        return handle
    }

    /// Returns a handle that never carried a transfer (its start failed) to the pool.
    func giveBack(_ handle: EasyHandle) {
        if idleHandles.count < Self.poolLimit { idleHandles.append(handle) }
    }

    /// Records `transfer`, running on `handle` (its `easy`).
    func add(_ transfer: Transfer, on handle: EasyHandle) {
        byID.insert(transfer)
        transfer.handle = handle
        handle.transfer = transfer
    }

    /// Forgets `transfer` (already out of the multi handle) and pools its handle. Idempotent.
    func remove(_ transfer: Transfer) {
        byID.remove(transfer)
        guard let handle = transfer.handle else { return }
        transfer.handle = nil
        handle.transfer = nil
        giveBack(handle)
    }

    /// Frees idle handles beyond the `keeping` most recently used (all of them by default:
    /// the worker stopped).
    func releaseIdleHandles(keeping: Int = 0) {
        guard idleHandles.count > keeping else { return }
        idleHandles.removeFirst(idleHandles.count - max(0, keeping))
    }

    /// How many idle handles the pool holds.
    var idleHandleCount: Int { idleHandles.count }
}
