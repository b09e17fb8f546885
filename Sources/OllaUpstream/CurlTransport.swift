import CCurl
import Glibc
import OllaCore
import OllaEngine
import Synchronization

/// One worker's event loop: a libcurl multi handle, and optionally the inbound server of the
/// same worker (an `EventDriver`), driven by one dedicated thread.
///
/// Confinement: the multi handle, every easy handle and every `Transfer` belong to the loop
/// thread. Commands from other code are queued; from another thread they are followed by
/// `curl_multi_wakeup`, from the loop thread itself (the common case: an inbound request on
/// the same worker) they need no wakeup at all. Keep-alive connections live in the multi
/// handle's cache, and easy handles are reset and reused, so a steady load opens no new
/// connections and allocates no new handles.
public final class CurlTransport: UpstreamTransport, DescriptorWatch, @unchecked Sendable {
    enum Command {
        case start(UpstreamRequest, TransferDelegate)
        case cancel(UInt64)
        case unpause(UInt64)
        case execute(@Sendable () -> Void)
        case stop
    }

    /// How often first-byte and idle timeouts (and the driver's) are checked.
    static let tickInterval: Duration = .milliseconds(100)

    private let multi: Curl.Multi
    /// Queued commands, and whether the loop has stopped (then nothing is queued any more).
    private let commands = Mutex<(queue: [Command], stopped: Bool)>(([], false))
    private let loop: LoopState
    private let poller = EventPoller()
    /// Descriptors watched for the driver (its client sockets); loop thread only.
    private var driverDescriptors: Set<Int32> = []
    /// When libcurl wants `curl_multi_socket_action(CURL_SOCKET_TIMEOUT)` (its timer callback).
    fileprivate var curlTimerDeadline: ContinuousClock.Instant?
    private var thread: pthread_t?
    /// Only touched on the loop thread.
    private var driver: EventDriver?
    /// The loop thread's id, to skip wakeups for commands it posts to itself.
    private let loopThread = Atomic<UInt>(0)

    public init() {
        Curl.globalInit()
        multi = curl_multi_init()
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 1024)
        loop = LoopState()
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = ccurl_multi_setopt_socketfunction(multi, CurlSockets.socketCallback)
        _ = ccurl_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, me)
        _ = ccurl_multi_setopt_timerfunction(multi, CurlSockets.timerCallback)
        _ = ccurl_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, me)
    }

    // MARK: UpstreamTransport (any thread)

    public func start(_ request: UpstreamRequest, delegate: TransferDelegate) {
        post(.start(request, delegate))
    }

    public func cancel(transferID: UInt64) {
        post(.cancel(transferID))
    }

    public func unpause(transferID: UInt64) {
        post(.unpause(transferID))
    }

    public func execute(_ work: @escaping @Sendable () -> Void) {
        post(.execute(work))
    }

    public func wake() {
        if !isLoopThread { poller.wake() }
    }

    private var isLoopThread: Bool { UInt(pthread_self()) == loopThread.load(ordering: .relaxed) }

    /// Makes the loop also drive `driver` (the inbound server of this worker) from now on.
    public func drive(_ driver: EventDriver) {
        execute { [self] in
            self.driver = driver
            driver.attach(to: self)
        }
    }

    // MARK: DescriptorWatch (loop thread)

    public func watchForHangUp(_ fd: Int32) {
        guard driverDescriptors.insert(fd).inserted else { return }
        poller.watch(fd, events: ccurl_epoll_rdhup)
    }

    public func forget(_ fd: Int32) {
        guard driverDescriptors.remove(fd) != nil else { return }
        poller.forget(fd)
    }

    private func post(_ command: Command) {
        let accepted = commands.withLock { commands -> Bool in
            guard !commands.stopped else { return false }
            commands.queue.append(command)
            return true
        }
        guard accepted else {
            Self.refuseAfterStop(command)
            return
        }
        if !isLoopThread { poller.wake() }
    }

    /// The failure every transfer still running, queued or started after `shutdown` gets:
    /// each delegate hears the end of its transfer exactly once (a fetch awaiting it resumes).
    static let stoppedFailure = UpstreamFailure.transferFailed("olla is shutting down")

    private static func refuseAfterStop(_ command: Command) {
        if case .start(_, let delegate) = command { delegate.upstreamFinished(stoppedFailure) }
    }

    // MARK: Thread

    public func run() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        pthread_create(&handle, nil, { argument in
            let transport = Unmanaged<CurlTransport>.fromOpaque(argument!).takeRetainedValue()
            transport.runLoop()
            return nil
        }, box)
        thread = handle
    }

    /// Stops the loop thread after cancelling every transfer; waits for it to exit.
    public func shutdown() {
        post(.stop)
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private func runLoop() {
        loopThread.store(UInt(pthread_self()), ordering: .relaxed)
        var nextTick = ContinuousClock.now + Self.tickInterval
        var driverFD: Int32 = -1
        while true {
            if let driver, driver.pollDescriptor != driverFD {
                driverFD = driver.pollDescriptor
                poller.watch(driverFD, events: ccurl_epoll_in)
            }
            driver?.process()
            if !drainCommands() { break }
            runCurlTimerIfDue(.now)
            collectFinished()
            let now = ContinuousClock.now
            if now >= nextTick {
                tick(now: now)
                nextTick = now + Self.tickInterval
            }
            if let driver, driver.pollDescriptor != driverFD {
                // A driver attached by a command just now: watch it before sleeping.
                driverFD = driver.pollDescriptor
                poller.watch(driverFD, events: ccurl_epoll_in)
                continue
            }
            poller.wait(timeoutMilliseconds: waitMilliseconds(now: now, nextTick: nextTick)) { fd, events in
                guard fd != driverFD else { return }  // the driver runs at the top of the loop
                if driverDescriptors.contains(fd) {
                    driver?.descriptorReady(fd)
                    return
                }
                socketAction(fd, events: events)
            }
            runCurlTimerIfDue(.now)
            collectFinished()
        }
        let unstarted = commands.withLock { commands -> [Command] in
            commands.stopped = true
            defer { commands.queue.removeAll() }
            return commands.queue
        }
        for transfer in Array(loop.transfers.values) {
            remove(transfer)
            if !transfer.abandoned { transfer.delegate.upstreamFinished(Self.stoppedFailure) }
        }
        for command in unstarted { Self.refuseAfterStop(command) }
        loop.releaseIdleHandles()
        curl_multi_cleanup(multi)
        // The driver (the inbound server) holds this transport: let go of it, so the pair is
        // not kept alive by its own cycle.
        driver = nil
        driverDescriptors.removeAll()
    }

    /// How long the loop may sleep: not past libcurl's timer, the next tick or the driver's
    /// timeout, and not at all when callbacks left work behind (queued commands, resumed
    /// inbound connections).
    private func waitMilliseconds(now: ContinuousClock.Instant, nextTick: ContinuousClock.Instant) -> Int {
        if commands.withLock({ !$0.queue.isEmpty }) || driver?.hasPendingWork == true { return 0 }
        var wait = loop.transfers.isEmpty ? 1000 : max(1, Int((nextTick - now).wholeMilliseconds))
        if let deadline = curlTimerDeadline { wait = min(wait, (deadline - now).millisecondsRoundedUp) }
        if let driverTimeout = driver?.timeoutMilliseconds() { wait = min(wait, driverTimeout) }
        return wait
    }

    private func socketAction(_ fd: Int32, events: UInt32) {
        var mask: Int32 = 0
        if events & ccurl_epoll_in != 0 { mask |= CURL_CSELECT_IN }
        if events & ccurl_epoll_out != 0 { mask |= CURL_CSELECT_OUT }
        if events & ccurl_epoll_err != 0 { mask |= CURL_CSELECT_ERR }
        var running: Int32 = 0
        curl_multi_socket_action(multi, fd, mask, &running)
    }

    private func runCurlTimerIfDue(_ now: ContinuousClock.Instant) {
        guard let deadline = curlTimerDeadline, deadline <= now else { return }
        curlTimerDeadline = nil
        var running: Int32 = 0
        curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running)
    }

    // MARK: libcurl's socket API callbacks (loop thread)

    fileprivate func curlWantsSocket(_ fd: Int32, what: Int32) {
        switch what {
        case CURL_POLL_REMOVE: poller.forget(fd)
        case CURL_POLL_IN: poller.watch(fd, events: ccurl_epoll_in)
        case CURL_POLL_OUT: poller.watch(fd, events: ccurl_epoll_out)
        default: poller.watch(fd, events: ccurl_epoll_in | ccurl_epoll_out)
        }
    }

    fileprivate func curlWantsTimer(_ milliseconds: Int) {
        curlTimerDeadline = milliseconds < 0 ? nil : .now + .milliseconds(milliseconds)
    }

    /// Applies queued commands; false once `stop` was seen.
    private func drainCommands() -> Bool {
        let pending = commands.withLock { commands -> [Command] in
            let taken = commands.queue
            commands.queue.removeAll(keepingCapacity: true)
            return taken
        }
        for (index, command) in pending.enumerated() {
            switch command {
            case .start(let request, let delegate): begin(request, delegate)
            case .cancel(let id): if let transfer = loop.transfers[id] { remove(transfer) }
            case .unpause(let id): unpause(id)
            case .execute(let work): work()
            case .stop:
                // Commands behind the stop are put back for the loop's epilogue to refuse.
                commands.withLock { $0.queue.insert(contentsOf: pending[(index + 1)...], at: 0) }
                return false
            }
        }
        return true
    }

    private func begin(_ request: UpstreamRequest, _ delegate: TransferDelegate) {
        if let previous = loop.transfers[request.transferID] { remove(previous) }
        let easy = loop.takeHandle()
        let headerList = Curl.headerList(RequestOptions.headerLines(for: request))
        let transfer = Transfer(request: request, delegate: delegate, easy: easy,
                                headerList: headerList, now: .now)
        RequestOptions.apply(request, to: easy, headerList: headerList,
                             context: Unmanaged.passUnretained(transfer).toOpaque())
        loop.add(transfer)
        curl_multi_add_handle(multi, easy)
    }

    private func unpause(_ id: UInt64) {
        guard let transfer = loop.transfers[id] else { return }
        transfer.receivePausedSince = nil
        transfer.lastActivity = .now
        Curl.pauseContinue(transfer.easy)
    }

    /// Hands finished transfers back to their delegates.
    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                  let transfer = loop.byHandle[easy] else { continue }
            let code = ccurl_msg_result(message)
            let failure = Self.failure(for: code, headDelivered: transfer.headDelivered)
            remove(transfer)
            if !transfer.abandoned { transfer.delegate.upstreamFinished(failure) }
        }
    }

    /// Timeouts, every `tickInterval`.
    private func tick(now: ContinuousClock.Instant) {
        for transfer in loop.transfers.values {
            if let failure = transfer.expiredTimeout(now: now) {
                remove(transfer)
                transfer.delegate.upstreamFinished(failure)
            }
        }
        driver?.tick(now: now)
    }

    private func remove(_ transfer: Transfer) {
        curl_multi_remove_handle(multi, transfer.easy)
        Curl.freeList(transfer.headerList)
        loop.remove(transfer)
    }

    static func failure(for code: CURLcode, headDelivered: Bool) -> UpstreamFailure? {
        switch code {
        case CURLE_OK:
            return headDelivered ? nil : .transferFailed("empty response")
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connectFailed(Curl.errorText(code))
        case CURLE_OPERATION_TIMEDOUT:
            // Olla enforces first-byte and idle limits itself; curl only times the connect.
            return headDelivered ? .idleTimedOut : .connectTimedOut
        default:
            return .transferFailed(Curl.errorText(code))
        }
    }
}

/// The loop thread's tables: live transfers and the pool of idle easy handles.
final class LoopState {
    var transfers: [UInt64: Transfer] = [:]
    var byHandle: [UnsafeMutableRawPointer: Transfer] = [:]
    private var idleHandles: [Curl.Easy] = []
    /// Idle handles kept for reuse; beyond this they are freed.
    private let poolLimit = 256

    func takeHandle() -> Curl.Easy {
        if let easy = idleHandles.popLast() {
            curl_easy_reset(easy)
            return easy
        }
        return curl_easy_init()
    }

    func add(_ transfer: Transfer) {
        transfers[transfer.transferID] = transfer
        byHandle[transfer.easy] = transfer
    }

    func remove(_ transfer: Transfer) {
        if transfers[transfer.transferID] === transfer { transfers[transfer.transferID] = nil }
        byHandle[transfer.easy] = nil
        if idleHandles.count < poolLimit {
            idleHandles.append(transfer.easy)
        } else {
            curl_easy_cleanup(transfer.easy)
        }
    }

    func releaseIdleHandles() {
        for easy in idleHandles { curl_easy_cleanup(easy) }
        idleHandles.removeAll()
    }
}

/// libcurl's socket-API callbacks: non-capturing, finding the transport through `userp`.
enum CurlSockets {
    static let socketCallback: curl_socket_callback = { _, socket, what, userp, _ in
        guard let userp else { return 0 }
        Unmanaged<CurlTransport>.fromOpaque(userp).takeUnretainedValue().curlWantsSocket(socket, what: what)
        return 0
    }

    static let timerCallback: curl_multi_timer_callback = { _, timeout, userp in
        guard let userp else { return 0 }
        Unmanaged<CurlTransport>.fromOpaque(userp).takeUnretainedValue().curlWantsTimer(timeout)
        return 0
    }
}
