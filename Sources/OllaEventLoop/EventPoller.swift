import CEpoll
import Glibc

/// The worker loop's wait: one epoll set holding every descriptor its drivers watch, and an
/// eventfd other threads use to wake the loop. Loop thread only, except `wake()`.
///
/// With epoll the cost of a wait is the number of ready sockets, not the number of open
/// ones, which is what lets one loop hold ten thousand quiet streams.
final class EventPoller {
    /// The `data` of the wake eventfd's events.
    static let wakeData = UInt64.max

    let epollFD: Int32
    let wakeFD: Int32
    /// What each watched descriptor is registered with (events, data), to skip no-op changes;
    /// `parked`: left in the set while nobody wants its events (`park`), so the next `watch`
    /// re-arms it with a syscall whatever it asks for.
    /// Indexed by descriptor (descriptors are small integers): a dictionary keyed by one
    /// hashed it at every look, ~0.3-0.9 K instructions per `watch` or `park` (a backend
    /// socket watched and parked around each transfer whose answer is not there at once).
    private var registered = Registrations()
    /// How many ready descriptors one wait returns at most.
    static let capacity = 256
    /// Where a wait's ready events land: raw buffers allocated once, so a wait (one per loop
    /// round) pays neither the run-time exclusivity checks of a class's array properties nor
    /// their uniqueness checks.
    private let readyData = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
    private let readyEvents = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)

    init() throws(SystemError) {
        epollFD = try System.epollCreate()
        do {
            readyData.initialize(repeating: 0, count: Self.capacity)
        readyEvents.initialize(repeating: 0, count: Self.capacity)
        wakeFD = try System.eventFD()
            try System.epollControl(epollFD, cepoll_ctl_add, wakeFD, events: cepoll_in, data: Self.wakeData)
        } catch {
            System.close(epollFD)
            readyData.deallocate()
            readyEvents.deallocate()
            throw error
        }
    }

    deinit {
        System.close(wakeFD)
        System.close(epollFD)
        readyData.deallocate()
        readyEvents.deallocate()
    }

    /// Adds `fd` or changes what it is watched for. A descriptor number the set still holds
    /// from a closed socket (EEXIST), or one the kernel already dropped (ENOENT), is retried
    /// with the other operation, so a reused number is always watched.
    /// A parked descriptor is always changed (MOD, or ADD when the kernel dropped it: its
    /// socket was closed and the number reused meanwhile).
    func watch(_ fd: Int32, events: UInt32, data: UInt64) throws(SystemError) {
        if let current = registered[fd] {
            guard current.parked || current.events != events || current.data != data else { return }
            try control(fd, first: cepoll_ctl_mod, fallback: cepoll_ctl_add, events: events, data: data)
        } else {
            try control(fd, first: cepoll_ctl_add, fallback: cepoll_ctl_mod, events: events, data: data)
        }
        registered[fd] = Registrations.Entry(events: events, data: data, parked: false)
    }

    /// Leaves `fd` in the set without a syscall, for an owner that does not want its events
    /// now but expects to watch it again soon: the next `watch` re-arms it with one `MOD`
    /// where `forget` and `watch` made a `DEL` and an `ADD`. Until then its events still
    /// arrive (the owner drops them, or forgets it), and a close of the descriptor removes it
    /// from the kernel's set by itself (the next `watch` of the number then falls back to
    /// `ADD`, `forget` to nothing). Idempotent; a descriptor not in the set stays out.
    func park(_ fd: Int32) {
        registered.park(fd)
    }

    private func control(_ fd: Int32, first: Int32, fallback: Int32, events: UInt32, data: UInt64) throws(SystemError) {
        do {
            try System.epollControl(epollFD, first, fd, events: events, data: data)
        } catch where error.code == EEXIST || error.code == ENOENT {
            try System.epollControl(epollFD, fallback, fd, events: events, data: data)
        }
    }

    /// Stops watching `fd`. A descriptor already closed (EBADF) or dropped (ENOENT) is gone anyway.
    func forget(_ fd: Int32) {
        guard registered.remove(fd) else { return }
        do {
            try System.epollControl(epollFD, cepoll_ctl_del, fd, events: 0, data: 0)
        } catch {
            assert(error.code == ENOENT || error.code == EBADF, "\(error)")
        }
    }

    /// Whether `fd` is watched.
    func isWatching(_ fd: Int32) -> Bool { registered[fd] != nil }

    /// Waits up to `timeoutMilliseconds` and calls `ready(data, events)` for each descriptor
    /// with events. Wakeups are consumed here.
    func wait(timeoutMilliseconds: Int, _ ready: (UInt64, UInt32) -> Void) {
        let count = System.epollWait(epollFD, data: readyData, events: readyEvents,
                                     capacity: Self.capacity, timeoutMilliseconds: timeoutMilliseconds)
        for index in 0..<count {
            let data = readyData[index]
            if data == Self.wakeData {
                System.eventFDDrain(wakeFD)
            } else {
                ready(data, readyEvents[index])
            }
        }
    }

    /// Any thread: makes the current or next wait return at once.
    func wake() {
        System.eventFDSignal(wakeFD)
    }
}

/// What each watched descriptor is registered with, indexed by descriptor: its events, its
/// data and whether it is parked. Grows to the highest descriptor watched.
struct Registrations {
    /// One descriptor's registration.
    struct Entry {
        /// The epoll events it is registered for.
        var events: UInt32
        /// The epoll data its events carry.
        var data: UInt64
        /// Left in the set while nobody wants its events (`EventPoller.park`).
        var parked: Bool
    }

    private var entries: [Entry?] = []

    /// The registration of `fd`, or nil when it is not in the set; setting nil removes it.
    subscript(fd: Int32) -> Entry? {
        get { Int(fd) < entries.count && fd >= 0 ? entries[Int(fd)] : nil }
        set {
            precondition(fd >= 0, "a negative descriptor")
            if Int(fd) >= entries.count {
                guard newValue != nil else { return }
                // At least doubled: descriptors come in rising order as sockets open.
                entries.append(contentsOf: repeatElement(nil, count: max(Int(fd) + 1, 2 * entries.count, 64) - entries.count))
            }
            entries[Int(fd)] = newValue
        }
    }

    /// Marks `fd` parked if it is registered.
    mutating func park(_ fd: Int32) {
        guard fd >= 0, Int(fd) < entries.count, entries[Int(fd)] != nil else { return }
        entries[Int(fd)]!.parked = true
    }

    /// Removes `fd`; returns whether it was registered.
    mutating func remove(_ fd: Int32) -> Bool {
        guard fd >= 0, Int(fd) < entries.count, entries[Int(fd)] != nil else { return false }
        entries[Int(fd)] = nil
        return true
    }
}
