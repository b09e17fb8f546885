/// How long one round of the worker loop may sleep in `epoll_wait`: pure arithmetic on the
/// round's facts, so it is tested without a loop.
public enum WaitPlan {
    /// The longest sleep when nothing needs timing: a second.
    public static let idleMilliseconds = 1000

    /// Milliseconds to sleep: 0 when work is pending; otherwise up to the next tick (at least
    /// 1 ms, while ticking) and no longer than any driver's timeout (rounded up, so a driver
    /// is never woken a little early and then slept past; a passed timeout gives 0).
    public static func milliseconds(
        now: ContinuousClock.Instant, nextTick: ContinuousClock.Instant, ticking: Bool,
        pendingWork: Bool, timeouts: some Sequence<Duration>
    ) -> Int {
        if pendingWork { return 0 }
        var wait = ticking ? max(1, wholeMilliseconds(nextTick - now)) : idleMilliseconds
        for timeout in timeouts { wait = min(wait, max(0, millisecondsRoundedUp(timeout))) }
        return wait
    }

    /// The same plan from the drivers' needs, as the worker asks them once per round: 0 when
    /// any has work pending; otherwise up to the next tick while any needs ticks (rounded
    /// down, at least 1 ms), else up to a second, and no longer than the shortest timeout
    /// (rounded up; a passed one gives 0). A timeout beyond a coming tick is not converted to
    /// milliseconds (the loop's cost per round is paid per forwarded chunk).
    public static func milliseconds(now: ContinuousClock.Instant, nextTick: ContinuousClock.Instant,
                                    needs: some Sequence<WaitNeed>) -> Int {
        var ticking = false
        var shortest: Duration?
        for need in needs {
            if need.pendingWork { return 0 }
            ticking = ticking || need.needsTicks
            // Compared as attoseconds: `Duration`'s own `<` is a call into the standard
            // library (not inlined), two or three per round.
            if let timeout = need.timeout, shortest.map({ timeout.attoseconds < $0.attoseconds }) ?? true {
                shortest = timeout
            }
        }
        guard ticking else {
            return shortest.map { min(idleMilliseconds, max(0, millisecondsRoundedUp($0))) } ?? idleMilliseconds
        }
        let untilTick = nextTick - now
        let wait = max(1, wholeMilliseconds(untilTick))
        guard let shortest, !(untilTick.attoseconds > 0 && shortest.attoseconds >= untilTick.attoseconds) else {
            return wait
        }
        return min(wait, max(0, millisecondsRoundedUp(shortest)))
    }

    /// `duration` in whole milliseconds, rounded towards zero.
    static func wholeMilliseconds(_ duration: Duration) -> Int {
        // Waits are shorter than ±9.2 s, whose attoseconds fit in 64 bits: a dozen
        // instructions, where `components` divides 128-bit numbers in software (~200 per call,
        // one call per loop round).
        if let attoseconds = Int64(exactly: duration.attoseconds) { return Int(attoseconds / attosecondsPerMillisecond) }
        let (seconds, attoseconds) = duration.components
        return Int(clamping: seconds * 1000 + attoseconds / attosecondsPerMillisecond)
    }

    /// `duration` in milliseconds, rounded up.
    static func millisecondsRoundedUp(_ duration: Duration) -> Int {
        if let attoseconds = Int64(exactly: duration.attoseconds) {
            let (milliseconds, rest) = attoseconds.quotientAndRemainder(dividingBy: attosecondsPerMillisecond)
            return Int(milliseconds) + (rest > 0 ? 1 : 0)
        }
        let (seconds, attoseconds) = duration.components
        let (milliseconds, rest) = attoseconds.quotientAndRemainder(dividingBy: attosecondsPerMillisecond)
        return Int(clamping: seconds * 1000 + milliseconds + (rest > 0 ? 1 : 0))
    }

    static let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
}

/// When the worker's periodic `tick` is due.
public struct Ticker: Sendable {
    /// The time between two ticks.
    public let interval: Duration
    /// The next tick's distance from `origin`. A `Duration`, not the instant: a struct holding
    /// a `ContinuousClock.Instant` (a resilient type) is copied through run-time value
    /// witnesses, and the worker read this one every round.
    private var nextSinceOrigin: Duration

    /// Any fixed instant will do: the first one asked for.
    private static let origin = ContinuousClock.now

    /// The earliest time of the next tick.
    public var next: ContinuousClock.Instant { Self.origin.advanced(by: nextSinceOrigin) }

    /// A ticker whose first tick is one `interval` after `now`.
    public init(interval: Duration, now: ContinuousClock.Instant) {
        self.interval = interval
        self.nextSinceOrigin = Self.origin.duration(to: now) + interval
    }

    /// Whether a tick is due at `now`; if so, the next one is one interval later.
    public mutating func fire(now: ContinuousClock.Instant) -> Bool {
        let sinceOrigin = Self.origin.duration(to: now)
        // As attoseconds: `Duration`'s `>=` is a call into the standard library, every round.
        guard sinceOrigin.attoseconds >= nextSinceOrigin.attoseconds else { return false }
        nextSinceOrigin = sinceOrigin + interval
        return true
    }
}
