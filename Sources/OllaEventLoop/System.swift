import CEpoll
import Glibc

/// A failed system call: its name and `errno`.
public struct SystemError: Error, CustomStringConvertible, Equatable {
    /// The C function that failed (`epoll_ctl`, `pthread_create`, ...).
    public let call: String
    /// The `errno` value (or, for pthread calls, the returned error number).
    public let code: Int32

    /// "call: strerror(code)".
    public var description: String { "\(call): \(String(cString: strerror(code)))" }
}

/// The raw Linux calls the worker loop makes, one Swift function per C call, each mapping its
/// result to a value or a `SystemError` (as swift-nio's `System.swift` does). Nothing else in
/// this module calls C.
@usableFromInline
enum System {
    static func epollCreate() throws(SystemError) -> Int32 {
        let fd = cepoll_create()
        guard fd >= 0 else { throw SystemError(call: "epoll_create1", code: errno) }
        return fd
    }

    /// `op` is `cepoll_ctl_add`, `_mod` or `_del`; `data` comes back with each ready event.
    static func epollControl(_ epollFD: Int32, _ op: Int32, _ fd: Int32, events: UInt32, data: UInt64) throws(SystemError) {
        guard cepoll_ctl(epollFD, op, fd, events, data) == 0 else { throw SystemError(call: "epoll_ctl", code: errno) }
    }

    /// Waits up to `timeoutMilliseconds` (0: poll); returns how many entries were filled.
    /// An interrupted wait is an empty one; any other failure is a bug in the loop.
    static func epollWait(
        _ epollFD: Int32, data: UnsafeMutablePointer<UInt64>, events: UnsafeMutablePointer<UInt32>,
        capacity: Int, timeoutMilliseconds: Int
    ) -> Int {
        let count = cepoll_wait(epollFD, data, events, Int32(capacity), Int32(clamping: timeoutMilliseconds))
        if count >= 0 { return Int(count) }
        let code = errno
        precondition(code == EINTR, "epoll_wait: \(String(cString: strerror(code)))")
        return 0
    }

    static func eventFD() throws(SystemError) -> Int32 {
        let fd = cepoll_eventfd()
        guard fd >= 0 else { throw SystemError(call: "eventfd", code: errno) }
        return fd
    }

    /// Adds one to the eventfd's counter. A full counter (EAGAIN) is already a pending wakeup.
    static func eventFDSignal(_ fd: Int32) {
        var one: UInt64 = 1
        let written = write(fd, &one, 8)
        assert(written == 8 || errno == EAGAIN, "eventfd write: \(String(cString: strerror(errno)))")
    }

    /// Resets the eventfd's counter. An empty counter (EAGAIN) means another read took it.
    static func eventFDDrain(_ fd: Int32) {
        var value: UInt64 = 0
        let read = Glibc.read(fd, &value, 8)
        assert(read == 8 || errno == EAGAIN, "eventfd read: \(String(cString: strerror(errno)))")
    }

    static func close(_ fd: Int32) {
        // Linux releases the descriptor even when close reports an error: nothing to retry.
        _ = Glibc.close(fd)
    }

    /// Starts a joinable thread running `body`.
    static func threadCreate(_ body: @escaping () -> Void) throws(SystemError) -> pthread_t {
        final class Box { let body: () -> Void; init(_ body: @escaping () -> Void) { self.body = body } }
        let box = Unmanaged.passRetained(Box(body))
        var thread = pthread_t()
        let code = pthread_create(&thread, nil, { argument in
            Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
            return nil
        }, box.toOpaque())
        guard code == 0 else {
            box.release()
            throw SystemError(call: "pthread_create", code: code)
        }
        return thread
    }

    static func threadJoin(_ thread: pthread_t) {
        let code = pthread_join(thread, nil)
        precondition(code == 0, "pthread_join: \(String(cString: strerror(code)))")
    }

    /// The calling thread's id, never 0.
    @inlinable
    static func currentThread() -> UInt {
        UInt(pthread_self())
    }
}
