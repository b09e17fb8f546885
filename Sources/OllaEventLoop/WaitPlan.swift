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
    /// down, at least 1 ms), else up to a second, and no longer than until the earliest
    /// deadline (rounded up; a passed one gives 0). A deadline beyond a coming tick is not
    /// converted to milliseconds (the loop's cost per round is paid per forwarded chunk). On
    /// the loop's clock in integer nanoseconds: no `Duration` arithmetic (calls into the
    /// standard library and 128-bit operations, several per round).
    public static func milliseconds(now: LoopTime, nextTick: LoopTime, needs: some Sequence<WaitNeed>) -> Int {
        var ticking = false
        var earliest: LoopTime?
        for need in needs {
            if need.pendingWork { return 0 }
            ticking = ticking || need.needsTicks
            if let deadline = need.deadline, earliest.map({ deadline < $0 }) ?? true { earliest = deadline }
        }
        guard ticking else {
            return earliest.map { min(idleMilliseconds, millisecondsRoundedUp(nanoseconds: now.nanoseconds(to: $0))) }
                ?? idleMilliseconds
        }
        let untilTick = now.nanoseconds(to: nextTick)
        let wait = max(1, Int(untilTick / nanosecondsPerMillisecond))
        guard let earliest, !(untilTick > 0 && now.nanoseconds(to: earliest) >= untilTick) else { return wait }
        return min(wait, millisecondsRoundedUp(nanoseconds: now.nanoseconds(to: earliest)))
    }

    /// `nanoseconds` in milliseconds, rounded up; 0 for a time already passed.
    static func millisecondsRoundedUp(nanoseconds: Int64) -> Int {
        guard nanoseconds > 0 else { return 0 }
        let (milliseconds, rest) = nanoseconds.quotientAndRemainder(dividingBy: nanosecondsPerMillisecond)
        return Int(clamping: milliseconds + (rest > 0 ? 1 : 0))
    }

    static let nanosecondsPerMillisecond: Int64 = 1_000_000

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

/// When the worker's periodic `tick` is due, on the loop's clock.
public struct Ticker: Sendable {
    /// The time between two ticks.
    public let interval: Duration
    private let intervalNanoseconds: Int64
    /// The earliest time of the next tick.
    public private(set) var next: LoopTime

    /// A ticker whose first tick is one `interval` after `now`.
    public init(interval: Duration, now: LoopTime) {
        self.interval = interval
        intervalNanoseconds = now.nanoseconds(to: now.advanced(by: interval))
        next = now.advanced(byNanoseconds: intervalNanoseconds)
    }

    /// Whether a tick is due at `now`; if so, the next one is one interval later.
    public mutating func fire(now: LoopTime) -> Bool {
        guard now >= next else { return false }
        next = now.advanced(byNanoseconds: intervalNanoseconds)
        return true
    }
}
