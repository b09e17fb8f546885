import Synchronization

/// Measures how long a client has read nothing while response bytes wait for it, for
/// `server.write_timeout`.
///
/// The hot path pays one relaxed atomic store and no clock read: `restart()` (each time the
/// response reader runs, each resume, from any thread) and `pause()` (the connection is
/// suspended: nothing waits for the client) only mark the state; the worker loop's periodic
/// `hasStalled` turns a restart into a time stamp. Stalls are therefore measured with the
/// tick's precision (100 ms), which is plenty for a limit counted in seconds.
///
/// A noncopyable struct held in place by its `RequestContext`, not an object of its own: a
/// class was one more allocation and release per request (`make bench-instructions`).
struct ClientReadClock: ~Copyable, Sendable {
    /// Not counting: the connection is suspended, or its response ended.
    private static let paused: Int64 = 0
    /// The client just read (or was resumed): the next check starts the clock.
    private static let restarted: Int64 = 1
    /// `paused`, `restarted`, or the nanosecond time (> 1) since which the client read nothing.
    private let state = Atomic<Int64>(paused)

    init() {}

    /// The client read, or the connection was resumed. Any thread.
    func restart() {
        state.store(Self.restarted, ordering: .relaxed)
    }

    /// Nothing waits for the client. Worker loop thread.
    func pause() {
        state.store(Self.paused, ordering: .relaxed)
    }

    /// Whether the client has read nothing for at least `limit`. `now` is in nanoseconds from
    /// any fixed origin and must be greater than 1. Worker loop thread.
    func hasStalled(now: Int64, limit: Duration) -> Bool {
        let since = state.load(ordering: .relaxed)
        switch since {
        case Self.paused:
            return false
        case Self.restarted:
            state.store(now, ordering: .relaxed)
            return false
        default:
            return now - since >= Self.nanoseconds(limit)
        }
    }

    /// `duration` in whole nanoseconds (saturating).
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ attoseconds / 1_000_000_000
    }
}
