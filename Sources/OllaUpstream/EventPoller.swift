import CCurl
import Glibc

/// The worker loop's wait: one epoll set holding libcurl's sockets (as its socket callback
/// asks), the inbound server's epoll fd, and an eventfd other threads use to wake the loop.
///
/// With epoll the cost of a wait is the number of ready sockets, not the number of open
/// ones, which is what lets one loop hold ten thousand quiet streams.
final class EventPoller {
    let epollFD: Int32
    let wakeFD: Int32
    private var registered: [Int32: UInt32] = [:]
    private var readyFDs = [Int32](repeating: 0, count: 256)
    private var readyEvents = [UInt32](repeating: 0, count: 256)

    init() {
        epollFD = ccurl_epoll_create()
        wakeFD = ccurl_eventfd()
        precondition(epollFD >= 0 && wakeFD >= 0, "epoll/eventfd unavailable")
        watch(wakeFD, events: ccurl_epoll_in)
    }

    deinit {
        close(wakeFD)
        close(epollFD)
    }

    /// Adds or changes the events watched on `fd`.
    func watch(_ fd: Int32, events: UInt32) {
        if let current = registered[fd] {
            if current != events { _ = ccurl_epoll_control(epollFD, ccurl_epoll_mod, fd, events) }
        } else {
            _ = ccurl_epoll_control(epollFD, ccurl_epoll_add, fd, events)
        }
        registered[fd] = events
    }

    func forget(_ fd: Int32) {
        guard registered.removeValue(forKey: fd) != nil else { return }
        _ = ccurl_epoll_control(epollFD, ccurl_epoll_del, fd, 0)
    }

    /// Waits up to `timeoutMilliseconds` and calls `ready` for each descriptor with events.
    func wait(timeoutMilliseconds: Int, _ ready: (Int32, UInt32) -> Void) {
        let count = readyFDs.withUnsafeMutableBufferPointer { fds in
            readyEvents.withUnsafeMutableBufferPointer { events in
                ccurl_epoll_wait(epollFD, fds.baseAddress, events.baseAddress, Int32(fds.count), Int32(timeoutMilliseconds))
            }
        }
        for index in 0..<max(0, Int(count)) {
            let fd = readyFDs[index]
            if fd == wakeFD {
                var value: UInt64 = 0
                _ = read(wakeFD, &value, 8)
            } else {
                ready(fd, readyEvents[index])
            }
        }
    }

    /// Any thread: makes the current or next wait return at once.
    func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }
}
