import Glibc

/// A reading of the worker loop's clock: `ContinuousClock`'s time (on Linux CLOCK_BOOTTIME,
/// what `ContinuousClock.now` reads) in nanoseconds, as one 64-bit integer.
///
/// Why not `ContinuousClock.Instant`: the loop reads its clock once per round, and every
/// driver compares its deadlines with that reading three or four times a round. An `Instant`
/// is a resilient type of the concurrency library holding a 128-bit `Duration`: reading the
/// clock through it, storing a deadline, comparing and subtracting went through calls into the
/// library, 128-bit arithmetic and value-witness copies, ~0.4 K instructions per round, so
/// per forwarded chunk (`make bench-instructions`). A `LoopTime` is compared, offset and
/// subtracted inline. `instant` converts back where a driver needs an `Instant` (its timeouts
/// checks, every `Worker.tickInterval`).
@frozen
public struct LoopTime: Sendable, Hashable, Comparable {
    /// Nanoseconds on the clock (since boot: the clock's own zero).
    public var nanoseconds: Int64

    /// The time `nanoseconds` on the clock.
    @inlinable
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The clock now: one `clock_gettime` (a vDSO call, no syscall).
    @inlinable
    public static func now() -> LoopTime {
        var time = timespec()
        clock_gettime(CLOCK_BOOTTIME, &time)
        return LoopTime(nanoseconds: Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_nsec))
    }

    /// This time as a `ContinuousClock.Instant`.
    public var instant: ContinuousClock.Instant {
        Self.anchor.instant.advanced(by: .nanoseconds(Self.anchor.time.nanoseconds(to: self)))
    }

    /// `milliseconds` later (earlier when negative); saturates at the ends of the range.
    @inlinable
    public func advanced(byMilliseconds milliseconds: Int) -> LoopTime {
        let (offset, overflow) = Int64(milliseconds).multipliedReportingOverflow(by: 1_000_000)
        return advanced(byNanoseconds: overflow ? (milliseconds < 0 ? .min : .max) : offset)
    }

    /// `nanoseconds` later (earlier when negative); saturates at the ends of the range.
    @inlinable
    public func advanced(byNanoseconds nanoseconds: Int64) -> LoopTime {
        let (sum, overflow) = self.nanoseconds.addingReportingOverflow(nanoseconds)
        return LoopTime(nanoseconds: overflow ? (nanoseconds < 0 ? .min : .max) : sum)
    }

    /// `duration` later (earlier when negative), in whole nanoseconds; saturates.
    public func advanced(by duration: Duration) -> LoopTime {
        advanced(byNanoseconds: Self.nanoseconds(of: duration))
    }

    /// Nanoseconds from this time to `later` (negative when `later` is earlier); saturates.
    @inlinable
    public func nanoseconds(to later: LoopTime) -> Int64 {
        let (difference, overflow) = later.nanoseconds.subtractingReportingOverflow(nanoseconds)
        return overflow ? (later.nanoseconds < nanoseconds ? .min : .max) : difference
    }

    /// From this time to `later`, as a `Duration`.
    public func duration(to later: LoopTime) -> Duration { .nanoseconds(nanoseconds(to: later)) }

    /// Earlier first.
    @inlinable
    public static func < (a: LoopTime, b: LoopTime) -> Bool { a.nanoseconds < b.nanoseconds }

    /// `duration` in whole nanoseconds, rounded towards zero, clamped to 64 bits.
    static func nanoseconds(of duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, overflowed) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflowed ? (seconds < 0 ? .min : .max) : sum
    }

    /// One instant and its reading on this clock, taken back to back, to convert between the
    /// two (the same clock: the conversion is off by the time between the two reads, well
    /// under a microsecond).
    private static let anchor = (instant: ContinuousClock.now, time: LoopTime.now())
}
