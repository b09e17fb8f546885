import CEpoll
import Glibc
import Synchronization

/// One worker thread and its event loop: an epoll set, an eventfd for wakeups from other
/// threads, a periodic tick, and the drivers it runs (libmicrohttpd's server and libcurl's
/// transport of this worker, as two equal `EventDriver`s).
///
/// Confinement: drivers, their library handles and everything they register belong to the
/// loop thread while it runs. Other threads only `execute` work or `wake` the loop; drivers
/// post their own commands and call `wake` the same way. Debug builds check this on every
/// driver entry (`assertInLoop`). Before `start` and after `stop` there is no loop thread and
/// the owner (the main thread) may use the drivers directly.
public final class Worker: @unchecked Sendable {
    /// What a watched descriptor is ready for, or asked to be watched for.
    public struct Events: OptionSet, Sendable {
        /// The epoll event bits.
        public let rawValue: UInt32
        /// Creates a set from epoll event bits.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Data to read (EPOLLIN).
        public static let readable = Events(rawValue: cepoll_in)
        /// Room to write (EPOLLOUT).
        public static let writable = Events(rawValue: cepoll_out)
        /// An error or a hang-up of both directions (EPOLLERR | EPOLLHUP; always reported).
        public static let error = Events(rawValue: cepoll_err)
        /// The peer closed its side (EPOLLRDHUP): a client that hung up.
        public static let peerHangUp = Events(rawValue: cepoll_rdhup)
    }

    /// How often drivers' timeouts are checked (`EventDriver.tick`) while any needs it.
    public static let tickInterval: Duration = .milliseconds(100)

    /// A name for logs and assertion messages ("worker 0").
    public let name: String
    private let poller: EventPoller
    /// The drivers, in the order each round runs them, as the round calls them (`Driver`).
    /// Loop thread (or before `start`), so the run-time exclusivity check of a class's `var`
    /// (~80 instructions per access, twice a round) is left out: nothing else can access it.
    @exclusivity(unchecked) private var drivers = DriverTable()
    /// What keeps the drivers' slots (and so the drivers) alive while `drivers` refers to
    /// them unretained. Only appended to; emptied when the loop ends.
    @exclusivity(unchecked) private var slots: [DriverSlot] = []
    /// Work posted by other threads, and whether `stop` was asked.
    private let inbox = Mutex<(work: [@Sendable () -> Void], stopping: Bool)>(([], false))
    /// Set after something is put in the inbox (work or a stop): a round takes the inbox's
    /// lock only then. Most rounds have nothing posted, and a lock taken twice per round was
    /// two futex-free but still ~50-instruction mutex calls per forwarded chunk.
    private let posted = Atomic<Bool>(false)
    /// The loop thread's id while the loop runs, else 0.
    @usableFromInline let loopThread = Atomic<UInt>(0)
    private var thread: pthread_t?

    /// Creates the worker's epoll set and eventfd; throws when the kernel refuses them.
    public init(name: String) throws(SystemError) {
        self.name = name
        self.poller = try EventPoller()
    }

    deinit {
        drivers.deallocate()
    }

    // MARK: Any thread

    /// Whether the caller runs on this worker's loop thread. Inlinable: called from another
    /// module (a resumed connection, once per forwarded chunk), the call retained and released
    /// the worker around it; inlined, the worker is not used past the atomic load.
    @inlinable
    public var isInLoop: Bool { loopThread.load(ordering: .relaxed) == System.currentThread() }

    /// Debug builds: traps unless called on the loop thread (or while no loop runs).
    /// Inlinable, so a release build of a caller in another module (every libmicrohttpd and
    /// curl callback, several per forwarded chunk) compiles it to nothing instead of a call.
    @inlinable
    public func assertInLoop(file: StaticString = #fileID, line: UInt = #line) {
        assert(isInLoopOrIdle, "\(name): called off its loop thread", file: file, line: line)
    }

    /// Whether the caller runs on the loop thread, or no loop runs.
    @usableFromInline var isInLoopOrIdle: Bool {
        let owner = loopThread.load(ordering: .relaxed)
        return owner == 0 || owner == System.currentThread()
    }

    /// Runs `work` on the loop thread at the top of a coming round. Work posted after `stop`
    /// never runs.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        inbox.withLock { $0.work.append(work) }
        posted.store(true, ordering: .releasing)
        wake()
    }

    /// Makes the loop run one more round soon; free on the loop thread itself.
    public func wake() {
        if !isInLoop { poller.wake() }
    }

    /// Adds a driver: at once before `start` or on the loop thread, else at the top of the
    /// next round. Drivers run in the order they were added.
    public func register(_ driver: any EventDriver) {
        if isInLoop || loopThread.load(ordering: .relaxed) == 0 && thread == nil {
            let slot = DriverSlot(driver)
            slots.append(slot)
            drivers.append(Driver(slot))
            driver.attached(to: self)
        } else {
            let box = UncheckedBox(driver)
            execute { [self] in self.register(box.value) }
        }
    }

    /// Starts the loop thread.
    public func start() throws(SystemError) {
        precondition(thread == nil, "\(name) started twice")
        thread = try System.threadCreate { [self] in
            self.loopThread.store(System.currentThread(), ordering: .releasing)
            self.run()
        }
    }

    /// Ends the loop after its current round, lets each driver release what it holds
    /// (`workerStopped`, in reverse order) and waits for the thread to exit. Not on the loop.
    public func stop() {
        precondition(!isInLoop, "\(name).stop() called on its own loop thread")
        inbox.withLock { $0.stopping = true }
        posted.store(true, ordering: .releasing)
        poller.wake()
        if let thread { System.threadJoin(thread) }
        thread = nil
    }

    // MARK: Loop thread

    /// Watches `fd` for `events` on behalf of `driver` (replacing what it was watched for).
    public func watch(_ fd: Int32, events: Events, for driver: any EventDriver) throws(SystemError) {
        assertInLoop()
        guard let index = slots.firstIndex(where: { $0.driver === driver }) else {
            preconditionFailure("\(name): watch for a driver that is not registered")
        }
        try poller.watch(fd, events: events.rawValue, data: Self.data(fd: fd, driver: index))
    }

    /// Stops watching `fd` (before it is closed). Idempotent.
    public func forget(_ fd: Int32) {
        assertInLoop()
        poller.forget(fd)
    }

    /// Stops wanting `fd`'s events but leaves it in the epoll set: the next `watch` re-arms it
    /// with one `epoll_ctl` instead of the two a `forget` and a `watch` cost. For a descriptor
    /// its driver expects to watch again soon (a backend connection between two transfers).
    /// Events that still arrive for it go to its driver, which drops them or forgets it. A
    /// parked descriptor may be closed without `forget` (the kernel drops it from the set).
    public func park(_ fd: Int32) {
        assertInLoop()
        poller.park(fd)
    }

    /// A ready event's epoll data: the descriptor in the low half, its driver in the high half,
    /// so dispatch needs no table lookup.
    static func data(fd: Int32, driver: Int) -> UInt64 {
        UInt64(UInt32(bitPattern: fd)) | UInt64(driver) << 32
    }

    private func run() {
        // One clock read per round, after the wait: the events, the next round's processing,
        // its ticks and the length of its wait all use it. The wait is planned with the time
        // the round started, so a driver's timeout can fire up to one round's processing late
        // (microseconds; timeouts here are milliseconds and more). A `LoopTime`, not a
        // `ContinuousClock.Instant`: the drivers compare it with their deadlines inline.
        var now = LoopTime.now()
        var ticker = Ticker(interval: Self.tickInterval, now: now)
        // Whether the last round went on without waiting (see below).
        var skippedWait = false
        while true {
            let roundStart = now
            for driver in drivers { driver.process(now: roundStart) }
            guard let ranWork = runInbox() else { break }
            // A driver registered by the posted work is in the table now: it may already watch
            // a descriptor that is ready in this round's wait, and dispatch indexes the table.
            if ticker.fire(now: roundStart) {
                for driver in drivers { driver.tick(now: roundStart) }
            }
            // Posted work may have added a driver or left work for one: go round again.
            let wait = ranWork || posted.load(ordering: .relaxed) ? 0 : WaitPlan.milliseconds(
                now: roundStart, nextTick: ticker.next, needs: drivers.lazy.map { $0.waitNeed(now: roundStart) })
            // Work pending: the next round's `process` does it at once (it covers what
            // `eventsHandled` does), without an `epoll_wait(0)` first — a transfer started by
            // a request the server just read cost one such empty syscall and round. Never
            // twice in a row, so ready descriptors are still read between busy rounds.
            if wait == 0 && !skippedWait {
                skippedWait = true
                continue
            }
            skippedWait = false
            poller.wait(timeoutMilliseconds: wait) { data, events in
                drivers[Int(data >> 32)].descriptorReady(Int32(truncatingIfNeeded: data), events: Events(rawValue: events))
            }
            now = LoopTime.now()
            let handledAt = now
            for driver in drivers { driver.eventsHandled(now: handledAt) }
        }
        for driver in drivers.reversed() { driver.workerStopped() }
        drivers.removeAll()
        slots.removeAll()
        inbox.withLock { $0.work.removeAll() }
        loopThread.store(0, ordering: .releasing)
    }

    /// Runs posted work; returns whether there was any, or nil once `stop` was asked. The
    /// inbox's lock is taken only when something was posted since the last look.
    private func runInbox() -> Bool? {
        // An exchange, not a load and a store: a post that lands between the two would be
        // cleared unseen.
        guard posted.load(ordering: .relaxed), posted.exchange(false, ordering: .acquiring) else { return false }
        let (work, stopping) = inbox.withLock { inbox -> ([@Sendable () -> Void], Bool) in
            // Taking the (shared) array and clearing it in place would allocate a fresh
            // buffer when nothing was posted.
            if inbox.work.isEmpty { return ([], inbox.stopping) }
            defer { inbox.work.removeAll(keepingCapacity: true) }
            return (inbox.work, inbox.stopping)
        }
        if stopping { return nil }
        for item in work { item() }
        return !work.isEmpty
    }
}

/// One registered driver, owned by the worker's `slots`. The driver is a `let` of a class, so
/// a call through it needs no retain of the driver while the slot is alive.
private final class DriverSlot {
    let driver: any EventDriver
    init(_ driver: any EventDriver) { self.driver = driver }
}

/// A driver as the loop calls it: through its slot, unretained.
///
/// Why not `[any EventDriver]`: a call through an existential taken out of an array (or an
/// `unowned(unsafe)` one, or an unsafe buffer's: all tried) retains and releases the driver
/// around the call, about 40 instructions; a round makes 8-10 such calls (7.7 pairs, ~0.3 K
/// per forwarded chunk, measured). Here the slot is lent to each call
/// (`_withUnsafeGuaranteedRef`: the worker's `slots` own it for the loop's life) and the
/// driver is read from its `let`, which the compiler borrows without a retain.
private struct Driver {
    private let slot: Unmanaged<DriverSlot>

    init(_ slot: DriverSlot) { self.slot = .passUnretained(slot) }

    func process(now: LoopTime) { slot._withUnsafeGuaranteedRef { $0.driver.process(now: now) } }
    func descriptorReady(_ fd: Int32, events: Worker.Events) {
        slot._withUnsafeGuaranteedRef { $0.driver.descriptorReady(fd, events: events) }
    }
    func eventsHandled(now: LoopTime) { slot._withUnsafeGuaranteedRef { $0.driver.eventsHandled(now: now) } }
    func tick(now: LoopTime) { slot._withUnsafeGuaranteedRef { $0.driver.tick(now: now) } }
    func waitNeed(now: LoopTime) -> WaitNeed { slot._withUnsafeGuaranteedRef { $0.driver.waitNeed(now: now) } }
    func workerStopped() { slot._withUnsafeGuaranteedRef { $0.driver.workerStopped() } }
}

/// The worker's drivers in a buffer of fixed capacity that never moves: a round reads them
/// (four to five times) without copying, retaining and releasing an array (2.3 retain and
/// release pairs per round were ~90 instructions per forwarded chunk), and a driver registered
/// on the loop thread mid-round cannot move the table under the round's dispatch.
private struct DriverTable: RandomAccessCollection {
    /// More than any worker has (it has two: libmicrohttpd's server and libcurl's transport).
    static let capacity = 8
    private let base = UnsafeMutablePointer<Driver>.allocate(capacity: capacity)
    private(set) var count = 0

    var startIndex: Int { 0 }
    var endIndex: Int { count }
    subscript(index: Int) -> Driver {
        precondition(index >= 0 && index < count, "driver index out of range")
        return base[index]
    }

    mutating func append(_ driver: Driver) {
        precondition(count < Self.capacity, "a worker drives at most \(Self.capacity) drivers")
        (base + count).initialize(to: driver)
        count += 1
    }

    /// Empties the table (the loop has ended); the buffer stays for the worker's life.
    mutating func removeAll() {
        base.deinitialize(count: count)
        count = 0
    }

    /// Frees the buffer (the worker's `deinit`).
    func deallocate() {
        base.deinitialize(count: count)
        base.deallocate()
    }
}

/// Carries a driver (not `Sendable`: confined to the loop) into work posted to that loop.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
