import Glibc

/// When something happened to a request (its head arrived, the backend's head came), as the
/// nanoseconds of `ContinuousClock`'s clock (on Linux CLOCK_BOOTTIME, what
/// `ContinuousClock.now` reads) in one `Int64`.
///
/// Why not `ContinuousClock.Instant`: an `Instant` is a resilient type of the concurrency
/// library holding a 128-bit `Duration`, so a struct holding one has a layout known only at
/// run time (every copy and destroy of the request's facts went through value-witness
/// calls), each distance between two is 128-bit arithmetic in library calls, and storing one
/// as a `StoredInstant` was a subtraction more: ~0.7 K instructions per request for the
/// three readings an exchange keeps. A `RequestTime` is read with one `clock_gettime` (a
/// vDSO call), stored in 8 bytes and subtracted inline; it becomes a `Duration` only where
/// one is reported (the access record, the scheduler's lesson).
struct RequestTime: Sendable, Hashable, Comparable {
    /// Nanoseconds on the clock (since boot: the clock's own zero).
    var nanoseconds: Int64

    /// The time `nanoseconds` on the clock.
    init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The clock now.
    static var now: RequestTime {
        var time = timespec()
        clock_gettime(CLOCK_BOOTTIME, &time)
        return RequestTime(nanoseconds: Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_nsec))
    }

    /// `duration` later (earlier when negative), to the nanosecond (tests build times with it).
    static func + (time: RequestTime, duration: Duration) -> RequestTime {
        let (seconds, attoseconds) = duration.components
        return RequestTime(nanoseconds: time.nanoseconds + seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// From `earlier` to `later`.
    static func - (later: RequestTime, earlier: RequestTime) -> Duration {
        .nanoseconds(later.nanoseconds &- earlier.nanoseconds)
    }

    /// Whole milliseconds from `earlier` to this time, truncated (`Duration.wholeMilliseconds`
    /// of their distance, without making the `Duration`).
    func wholeMilliseconds(since earlier: RequestTime) -> Int64 {
        (nanoseconds &- earlier.nanoseconds) / 1_000_000
    }

    static func < (a: RequestTime, b: RequestTime) -> Bool { a.nanoseconds < b.nanoseconds }
}
