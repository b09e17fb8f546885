import CCurl
import Glibc
import OllaCore
import OllaEngine
import OllaEventLoop
import Synchronization

/// One worker's outbound side: a libcurl multi handle driven by the worker's loop as an
/// `EventDriver`, through libcurl's socket API (its sockets sit in the worker's epoll set).
///
/// Confinement: the multi handle, every easy handle and every `Transfer` belong to the
/// worker's loop thread. `UpstreamTransport` calls from any thread only queue a command; from
/// another thread they are followed by a wakeup of the worker (its eventfd, not
/// `curl_multi_wakeup`: the loop waits in epoll, not in `curl_multi_poll`); from the loop
/// thread itself (the common case: an inbound request on the same worker) they need no wakeup
/// at all. Keep-alive connections live in the multi handle's cache, and easy handles are reused
/// (not reset: each transfer sets every option it may change), so a steady load opens no new
/// connections and allocates no new handles.
public final class CurlTransport: UpstreamTransport, EventDriver, @unchecked Sendable {
    enum Command {
        case start(UpstreamRequest, TransferDelegate)
        case cancel(UInt64)
        case unpause(UInt64)
    }

    /// The failure every transfer still running, queued or started after the worker stopped
    /// gets: each delegate hears the end of its transfer exactly once (a fetch awaiting it
    /// resumes).
    static let stoppedFailure = UpstreamFailure.transferFailed("olla is shutting down")

    /// Most idle connections kept for reuse (CURLMOPT_MAXCONNECTS).
    static let connectionCacheSize = 1024

    private let worker: Worker
    private let multi: Curl.Multi
    /// Queued commands, and whether the worker has stopped (then nothing is queued any more).
    private let commands = Mutex<(queue: [Command], stopped: Bool)>(([], false))
    /// Set after a command is queued: a round takes the queue's lock only then (most rounds
    /// have nothing queued; two lock round trips per round were ~0.3 K instructions per
    /// forwarded chunk).
    private let queued = Atomic<Bool>(false)
    private let transfers = TransferTable()
    /// The commands `drainCommands` is running, moved out of `commands` by a swap with this
    /// array (empty, its storage kept), which the queue then fills: neither the queue nor
    /// this one allocates per round. Copying the queue out and emptying it in place
    /// allocated new storage for the queue at every drain (the copy shared the old one).
    /// Loop thread only (the swap happens under the queue's lock, on the loop thread).
    @exclusivity(unchecked) private var draining: [Command] = []
    /// libcurl's timer (its timer callback): when it wants
    /// `curl_multi_socket_action(CURL_SOCKET_TIMEOUT)`. Loop thread only, like every field
    /// below, so their run-time exclusivity checks (~80 instructions per access, several per
    /// round) are left out.
    @exclusivity(unchecked) private var curlTimer = CurlTimer.unset
    /// The timer's deadline was compared with the round's clock reading and is not due yet.
    /// The next `process` gets that same reading (the worker reads its clock once per round,
    /// after the wait): it need not compare again unless libcurl set the timer since.
    @exclusivity(unchecked) private var curlTimerNotDue = false
    /// libcurl acted (a socket or timer action, a handle added or removed) since finished
    /// transfers were last collected: only then can `curl_multi_info_read` have news.
    @exclusivity(unchecked) private var curlActed = false
    /// What the transport knows of libcurl's sockets, by descriptor (see `SocketState`).
    @exclusivity(unchecked) private var sockets: [SocketState] = []
    /// Transfers whose socket the worker could not watch, to end after the current callback
    /// (each ended once, if it still runs then).
    @exclusivity(unchecked) private var unwatchable: [(transfer: Transfer, error: SystemError)] = []

    /// One of libcurl's sockets as the transport knows it.
    ///
    /// Parked: libcurl stopped watching it (`CURL_POLL_REMOVE`) and it stays in the worker's
    /// epoll set: a connection going back to libcurl's cache at the end of a transfer is
    /// watched again by the next transfer on it, and a `DEL` now and an `ADD` then would cost
    /// two syscalls per request. An event for a parked socket (the backend closed the idle
    /// connection) forgets it.
    ///
    /// Open: libcurl opened it through `CurlSockets.openCallback` and has not closed it
    /// through `CurlSockets.closeCallback` since, so the descriptor is still that socket and
    /// its registration is still in the kernel's set, for `events`. Such a socket is parked
    /// by this table alone, and the next transfer on the connection, which watches it for
    /// what the last one did (readable: it waits for its answer), finds it armed: no
    /// `epoll_ctl` and no call into the worker at all (`Worker.park` and the `MOD` after it
    /// were ~1.5 K instructions and a syscall per request whose answer came a round later).
    /// The close callback takes the socket out of the worker's set before closing it, and the
    /// open callback drops whatever the worker still held for the number, so the worker's
    /// record of a number is always this socket's. Sockets libcurl opens another way (the
    /// threaded resolver's socket pair: libcurl closes them without a callback) are parked
    /// with the worker (`Worker.park`), whose next watch re-arms them with a `MOD` (an `ADD`
    /// when the number came back as another socket). A connect attempt that lost is closed
    /// without the callback too, but it was only ever watched for writable: a socket on its
    /// number is either opened through the callback (a fresh record) or watched for readable
    /// (the resolver's pair), which differs from what the worker holds, so the worker's watch
    /// re-arms it.
    struct SocketState {
        var parked = false
        var open = false
        /// `Worker.Events` raw value the worker has it watched for (0: nothing since opened).
        var events: UInt32 = 0
    }

    /// libcurl's timer as its callback set it. "At once" is kept apart from a deadline: a
    /// transfer started in a round sets it after the round's clock reading, and it must run
    /// in that round, without a fresh clock reading every round to find out. The deadline is
    /// a `LoopTime` (an integer), compared with the round's reading inline at each of the
    /// three looks per round.
    enum CurlTimer {
        case unset
        case now
        case at(LoopTime)
    }

    /// Creates the multi handle and registers with `worker`. Throws when libcurl cannot be
    /// initialised or refuses an option.
    public init(worker: Worker) throws(CurlError) {
        try Curl.globalInit()
        self.worker = worker
        multi = try Curl.multiInit()
        do {
            try Curl.set(multi, CURLMOPT_MAXCONNECTS, Self.connectionCacheSize)
            // The callbacks find this transport through an unretained pointer: the worker
            // holds it (registered below) until after the multi handle is cleaned up.
            let me = Unmanaged.passUnretained(self).toOpaque()
            transfers.socketOwner = me
            try Curl.setSocketFunction(multi, CurlSockets.socketCallback)
            try Curl.set(multi, CURLMOPT_SOCKETDATA, pointer: me)
            try Curl.setTimerFunction(multi, CurlSockets.timerCallback)
            try Curl.set(multi, CURLMOPT_TIMERDATA, pointer: me)
        } catch {
            Curl.multiCleanup(multi)
            throw error
        }
        worker.register(self)
    }

    // MARK: UpstreamTransport (any thread)

    /// Queues the start of `request`; `delegate` hears its events on the loop thread.
    public func start(_ request: UpstreamRequest, delegate: TransferDelegate) {
        post(.start(request, delegate))
    }

    /// Queues the removal of the transfer (its delegate hears nothing more). Idempotent.
    public func cancel(transferID: UInt64) {
        post(.cancel(transferID))
    }

    /// Queues the resumption of a transfer its delegate paused.
    public func unpause(transferID: UInt64) {
        post(.unpause(transferID))
    }

    /// Frees the pooled easy handles beyond `keeping` (each about 16 KiB with what libcurl
    /// allocates for it), on the worker's loop at the top of a coming round, then calls
    /// `done` there. For after a burst of streams (the daemon's memory trim): the pool grows
    /// to the burst's concurrency, up to `TransferTable.poolLimit`, and would otherwise keep
    /// that memory for good. `done` never runs once the worker has stopped.
    public func shedIdleHandles(keeping: Int, then done: @escaping @Sendable () -> Void) {
        worker.execute { [self] in
            transfers.releaseIdleHandles(keeping: keeping)
            done()
        }
    }

    private func post(_ command: consuming Command) {
        // Moved into the queue (`take`), not copied: a start command holds the whole request,
        // and a copy retained its strings and arrays once more (released with the original).
        var pending: Command? = consume command
        commands.withLock { commands in
            guard !commands.stopped else { return }
            // Unwrapped in place: a `let` bound to it was a copy.
            commands.queue.append(pending.take()!)
        }
        if let refused = pending.take() {
            Self.refuseAfterStop(refused)
            return
        }
        queued.store(true, ordering: .releasing)
        worker.wake()
    }

    private static func refuseAfterStop(_ command: Command) {
        if case .start(_, let delegate) = command { delegate.upstreamFinished(stoppedFailure) }
    }

    // MARK: EventDriver (worker loop thread)

    /// Nothing to watch yet: libcurl asks for each socket through its socket callback.
    public func attached(to worker: Worker) {
        worker.assertInLoop()
    }

    /// Starts, cancels and unpauses queued transfers, runs libcurl's timer when due and hands
    /// finished transfers to their delegates.
    public func process(now: LoopTime) {
        worker.assertInLoop()
        drainCommands()
        // A transfer started just now set libcurl's timer to "at once" (`CurlTimer.now`): it
        // is kicked off in this round, not the next.
        runCurlTimerIfDue(now: now, checkedAtThisClock: true)
        collectFinished()
    }

    /// Lets libcurl act on one of its sockets.
    public func descriptorReady(_ fd: Int32, events: Worker.Events) {
        worker.assertInLoop()
        if isParked(fd) {
            // libcurl does not watch it: an idle cached connection the backend closed (or wrote
            // to). Level-triggered, it would come back every round: out of the set. libcurl
            // finds the connection dead when it next looks at it, as before.
            sockets[Int(fd)].parked = false
            sockets[Int(fd)].events = 0
            worker.forget(fd)
            return
        }
        var mask: Int32 = 0
        if events.contains(.readable) { mask |= CURL_CSELECT_IN }
        if events.contains(.writable) { mask |= CURL_CSELECT_OUT }
        if !events.isDisjoint(with: .error) { mask |= CURL_CSELECT_ERR }
        curlActed = true
        Curl.socketAction(multi, fd, mask)
    }

    /// Runs libcurl's timer when due and hands finished transfers to their delegates.
    public func eventsHandled(now: LoopTime) {
        worker.assertInLoop()
        runCurlTimerIfDue(now: now, checkedAtThisClock: false)
        collectFinished()
    }

    /// First-byte and idle timeouts.
    public func tick(now: LoopTime) {
        worker.assertInLoop()
        for (transfer, failure) in transfers.expired(now: now.instant) {
            remove(transfer)
            transfer.delegate.upstreamFinished(failure)
        }
    }

    /// Commands are queued (posted by a callback of this round).
    public var hasPendingWork: Bool { queued.load(ordering: .relaxed) }

    /// Transfers run, so their timeouts need checking.
    public var needsTicks: Bool { !transfers.isEmpty }

    /// Until libcurl's own timer (connect timeouts, the start of a new transfer).
    public func timeout(now: LoopTime) -> Duration? {
        switch curlTimer {
        case .unset: nil
        case .now: .zero
        case .at(let deadline): now.duration(to: deadline)
        }
    }

    /// The three members above at once, without the protocol's defaults between them: the
    /// timer's deadline as it is kept ("at once" is the round's own time).
    public func waitNeed(now: LoopTime) -> WaitNeed {
        if queued.load(ordering: .relaxed) { return WaitNeed(pendingWork: true, needsTicks: needsTicks, deadline: nil) }
        let deadline: LoopTime? = switch curlTimer {
        case .unset: nil
        case .now: now
        case .at(let deadline): deadline
        }
        return WaitNeed(pendingWork: false, needsTicks: needsTicks, deadline: deadline)
    }

    /// Ends every transfer (each delegate hears `stoppedFailure`), refuses what is still
    /// queued and anything posted later, and frees every libcurl handle.
    public func workerStopped() {
        worker.assertInLoop()
        let unstarted = commands.withLock { commands -> [Command] in
            commands.stopped = true
            defer { commands.queue.removeAll() }
            return commands.queue
        }
        for transfer in transfers.all {
            remove(transfer)
            if !transfer.abandoned { transfer.delegate.upstreamFinished(Self.stoppedFailure) }
        }
        for command in unstarted { Self.refuseAfterStop(command) }
        transfers.releaseIdleHandles()
        Curl.multiCleanup(multi)
    }

    // MARK: libcurl's socket API callbacks (loop thread)

    fileprivate func curlWantsSocket(_ fd: Int32, what: Int32, easy: Curl.Easy?) {
        worker.assertInLoop()
        let events: Worker.Events
        switch what {
        case CURL_POLL_REMOVE:
            // Left in the set for the connection's next transfer (see `SocketState`).
            if !isOpen(fd) { worker.park(fd) }
            setParked(fd)
            return
        case CURL_POLL_IN: events = .readable
        case CURL_POLL_OUT: events = .writable
        default: events = [.readable, .writable]
        }
        if isParked(fd) {
            sockets[Int(fd)].parked = false
            // Still in the set for these events, and still the same socket (`SocketState`).
            if sockets[Int(fd)].open && sockets[Int(fd)].events == events.rawValue { return }
        }
        do {
            try worker.watch(fd, events: events, for: self)
            if fd >= 0 {
                grow(to: fd)
                sockets[Int(fd)].events = events.rawValue
            }
        } catch {
            // The socket cannot be watched (out of kernel memory): without events its
            // transfer would hang until a timeout, so it ends after this callback.
            if let easy, let transfer = transfers[easy] { unwatchable.append((transfer, error)) }
        }
    }

    fileprivate func curlWantsTimer(_ milliseconds: Int) {
        worker.assertInLoop()
        curlTimerNotDue = false
        switch milliseconds {
        case ..<0: curlTimer = .unset
        case 0: curlTimer = .now
        default: curlTimer = .at(LoopTime.now().advanced(byMilliseconds: milliseconds))
        }
    }

    /// libcurl opened `fd` through `CurlSockets.openCallback`: a socket of its own, watched
    /// for nothing yet.
    /// The worker drops what it still held for the number (a socket closed without the
    /// close callback; nothing when it held nothing).
    fileprivate func curlOpenedSocket(_ fd: Int32) {
        guard fd >= 0 else { return }
        worker.forget(fd)
        grow(to: fd)
        sockets[Int(fd)] = SocketState(parked: false, open: true, events: 0)
    }

    /// libcurl is about to close `fd` (after its socket callback's `CURL_POLL_REMOVE`, if it
    /// watched it): out of the worker's set while it is still this socket, since the number
    /// may come back as another.
    fileprivate func curlClosingSocket(_ fd: Int32) {
        guard fd >= 0 else { return }
        worker.forget(fd)
        if Int(fd) < sockets.count { sockets[Int(fd)] = SocketState() }
    }

    private func isOpen(_ fd: Int32) -> Bool {
        fd >= 0 && Int(fd) < sockets.count && sockets[Int(fd)].open
    }

    private func isParked(_ fd: Int32) -> Bool {
        fd >= 0 && Int(fd) < sockets.count && sockets[Int(fd)].parked
    }

    private func setParked(_ fd: Int32) {
        guard fd >= 0 else { return }
        grow(to: fd)
        sockets[Int(fd)].parked = true
    }

    private func grow(to fd: Int32) {
        let index = Int(fd)
        if index >= sockets.count {
            sockets.append(contentsOf: repeatElement(SocketState(), count: index + 1 - sockets.count))
        }
    }

    // MARK: Commands

    private func drainCommands() {
        // An exchange, not a load and a store: a command queued between the two would wait
        // unseen (the round after it would sleep).
        guard queued.load(ordering: .relaxed), queued.exchange(false, ordering: .acquiring) else { return }
        // The queue's storage and `draining`'s (empty) change places: nothing is copied or
        // allocated, and the queue keeps a buffer for the next posts.
        commands.withLock { commands in
            if !commands.queue.isEmpty { swap(&commands.queue, &draining) }
        }
        // Each command is moved out of the array (`popLast`, in queue order once reversed):
        // `for command in draining` copied each one, a start command with its whole request.
        // `draining` is left empty with its storage for the next swap.
        draining.reverse()
        while let command = draining.popLast() {
            switch command {
            case .start(let request, let delegate): begin(request, delegate)
            case .cancel(let id): if let transfer = transfers[id] { remove(transfer) }
            case .unpause(let id): unpause(id)
            }
        }
    }

    /// Starts a transfer; one libcurl refuses ends at once with a clear failure instead of
    /// hanging until a timeout.
    private func begin(_ request: UpstreamRequest, _ delegate: TransferDelegate) {
        if let previous = transfers[request.transferID] { remove(previous) }
        let handle: EasyHandle
        do {
            handle = try transfers.takeHandle()
        } catch {
            delegate.upstreamFinished(.transferFailed("cannot start the transfer: \(error)"))
            return
        }
        let headerList = handle.headers.write(for: request)
        let transfer = Transfer(request: request, delegate: delegate, easy: handle.easy, now: .now)
        do {
            try RequestOptions.apply(request, to: handle, headerList: headerList,
                                     context: Unmanaged.passUnretained(transfer).toOpaque())
            curlActed = true
            try Curl.add(multi, handle.easy)
        } catch {
            transfers.giveBack(handle)
            delegate.upstreamFinished(.transferFailed("cannot start the transfer: \(error)"))
            return
        }
        transfers.add(transfer, on: handle)
    }

    private func unpause(_ id: UInt64) {
        guard let transfer = transfers[id] else { return }
        transfer.lastActivity = .now
        curlActed = true
        do {
            try Curl.pauseContinue(transfer.easy)
        } catch {
            remove(transfer)
            if !transfer.abandoned { transfer.delegate.upstreamFinished(.transferFailed("\(error)")) }
        }
    }

    /// Runs libcurl's timer when it is due at the round's `now` (a deadline that falls within
    /// the round is met by the next one: the wait was planned to end there).
    /// `checkedAtThisClock`: the last look may have used this same `now` (`curlTimerNotDue`).
    private func runCurlTimerIfDue(now: LoopTime, checkedAtThisClock: Bool) {
        switch curlTimer {
        case .unset: return
        case .now: break
        case .at(let deadline):
            if checkedAtThisClock && curlTimerNotDue { return }
            guard deadline <= now else {
                curlTimerNotDue = true
                return
            }
        }
        curlTimerNotDue = false
        curlTimer = .unset
        curlActed = true
        Curl.socketAction(multi, CURL_SOCKET_TIMEOUT, 0)
    }

    /// Hands finished transfers back to their delegates: only after libcurl acted, since a
    /// transfer finishes only inside one of its calls.
    private func collectFinished() {
        failUnwatchable()
        guard curlActed else { return }
        curlActed = false
        while let (easy, code) = Curl.nextFinished(multi) {
            guard let transfer = transfers[easy] else { continue }
            let failure = transfer.failure(for: code)
            remove(transfer)
            if !transfer.abandoned { transfer.delegate.upstreamFinished(failure) }
        }
    }

    /// Ends transfers whose socket could not be watched (noted in the socket callback, where
    /// a handle must not be removed).
    private func failUnwatchable() {
        guard !unwatchable.isEmpty else { return }
        let broken = unwatchable
        unwatchable.removeAll()
        for (transfer, error) in broken {
            // Still running (not ended meanwhile, nor listed twice).
            guard transfers[transfer.transferID] === transfer else { continue }
            remove(transfer)
            if !transfer.abandoned {
                transfer.delegate.upstreamFinished(.transferFailed("cannot watch the backend socket: \(error)"))
            }
        }
    }

    /// Removes a transfer from the multi handle and the table (its handle goes back to the pool).
    private func remove(_ transfer: Transfer) {
        curlActed = true
        Curl.remove(multi, transfer.easy)
        transfers.remove(transfer)
    }
}

/// libcurl's socket-API callbacks: non-capturing, finding the transport through `userp`.
///
/// The transport is lent to each call (`_withUnsafeGuaranteedRef`), not retained for it
/// (`takeUnretainedValue()` costs a retain/release pair per call): the worker holds the
/// transport until after its multi handle, the only caller of these, is cleaned up.
enum CurlSockets {
    static let socketCallback: curl_socket_callback = { easy, socket, what, userp, _ in
        guard let userp else { return 0 }
        Unmanaged<CurlTransport>.fromOpaque(userp)._withUnsafeGuaranteedRef {
            $0.curlWantsSocket(socket, what: what, easy: easy)
        }
        return 0
    }

    static let timerCallback: curl_multi_timer_callback = { _, timeout, userp in
        guard let userp else { return 0 }
        Unmanaged<CurlTransport>.fromOpaque(userp)._withUnsafeGuaranteedRef { $0.curlWantsTimer(timeout) }
        return 0
    }

    /// Opens a socket as libcurl would (`socket` with the address's family, type and
    /// protocol; libcurl sets its options and connects it) and tells the transport.
    static let openCallback: curl_opensocket_callback = { clientp, _, address in
        guard let address else { return CURL_SOCKET_BAD }
        let fd = socket(address.pointee.family, address.pointee.socktype, address.pointee.protocol)
        if fd >= 0, let clientp {
            Unmanaged<CurlTransport>.fromOpaque(clientp)._withUnsafeGuaranteedRef { $0.curlOpenedSocket(fd) }
        }
        return fd
    }

    /// Tells the transport, then closes the socket as libcurl would.
    static let closeCallback: curl_closesocket_callback = { clientp, fd in
        if let clientp {
            Unmanaged<CurlTransport>.fromOpaque(clientp)._withUnsafeGuaranteedRef { $0.curlClosingSocket(fd) }
        }
        return close(fd)
    }

    /// Makes `easy`'s connections open and close their sockets through the callbacks above,
    /// with `owner` (a `CurlTransport`, unretained: it outlives its multi handle and every
    /// connection in it) as their user pointer.
    static func install(on easy: Curl.Easy, owner: UnsafeMutableRawPointer) throws(CurlError) {
        try Curl.setOpenSocketFunction(easy, openCallback)
        try Curl.set(easy, CURLOPT_OPENSOCKETDATA, pointer: owner)
        try Curl.setCloseSocketFunction(easy, closeCallback)
        try Curl.set(easy, CURLOPT_CLOSESOCKETDATA, pointer: owner)
    }
}
