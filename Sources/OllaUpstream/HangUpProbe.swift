import Glibc

/// Finds clients that hung up while their connection was suspended.
///
/// libmicrohttpd does not watch suspended sockets, so a client that leaves while waiting for a
/// slow model would otherwise be noticed only at the next write, with the backend still busy
/// generating for nobody. One non-blocking `poll` over all of them per tick is enough.
enum HangUpProbe {
    /// Glibc does not export POLLRDHUP (peer closed its writing half).
    static let pollRDHUP: Int16 = 0x2000

    static func hungUp<T>(_ candidates: [(T, Int32)]) -> [T] {
        guard !candidates.isEmpty else { return [] }
        var fds = candidates.map { pollfd(fd: $0.1, events: pollRDHUP, revents: 0) }
        let ready = poll(&fds, nfds_t(fds.count), 0)
        guard ready > 0 else { return [] }
        let gone = pollRDHUP | Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL)
        return zip(candidates, fds).compactMap { candidate, fd in
            fd.revents & gone != 0 ? candidate.0 : nil
        }
    }
}
