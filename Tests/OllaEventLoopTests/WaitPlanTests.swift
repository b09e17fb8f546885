import Testing
@testable import OllaEventLoop

@Suite struct WaitPlanTests {
    let now = ContinuousClock.now

    private func wait(tickIn: Duration = .milliseconds(100), ticking: Bool = false, pending: Bool = false,
                      timeouts: [Duration] = []) -> Int {
        WaitPlan.milliseconds(now: now, nextTick: now + tickIn, ticking: ticking, pendingWork: pending, timeouts: timeouts)
    }

    @Test func pendingWorkMeansNoSleep() {
        #expect(wait(ticking: true, pending: true, timeouts: [.seconds(5)]) == 0)
    }

    @Test func idleLoopSleepsASecond() {
        #expect(wait() == WaitPlan.idleMilliseconds)
        #expect(WaitPlan.idleMilliseconds == 1000)
    }

    @Test func tickingLoopSleepsUntilTheNextTick() {
        #expect(wait(tickIn: .milliseconds(73), ticking: true) == 73)
        #expect(wait(tickIn: .microseconds(73_900), ticking: true) == 73, "rounded down: the tick may come a little late")
    }

    @Test func tickingLoopSleepsAtLeastOneMillisecond() {
        #expect(wait(tickIn: .zero, ticking: true) == 1)
        #expect(wait(tickIn: .milliseconds(-5), ticking: true) == 1)
    }

    @Test func driverTimeoutIsRoundedUp() {
        #expect(wait(timeouts: [.microseconds(2_300)]) == 3)
        #expect(wait(timeouts: [.milliseconds(4)]) == 4)
        #expect(wait(timeouts: [.nanoseconds(1)]) == 1)
    }

    @Test func earliestTimeoutWins() {
        #expect(wait(ticking: true, timeouts: [.milliseconds(250), .milliseconds(40)]) == 40)
        #expect(wait(tickIn: .milliseconds(10), ticking: true, timeouts: [.milliseconds(40)]) == 10)
    }

    @Test func passedTimeoutMeansNoSleep() {
        #expect(wait(timeouts: [.milliseconds(-3)]) == 0)
        #expect(wait(timeouts: [.zero]) == 0)
    }

    @Test func longTimeoutsAreBoundedByTheIdleWait() {
        #expect(wait(timeouts: [.seconds(3600)]) == 1000)
    }
}

@Suite struct TickerTests {
    @Test func firstTickComesOneIntervalAfterCreation() {
        let start = ContinuousClock.now
        var ticker = Ticker(interval: .milliseconds(100), now: start)
        let atStart = ticker.fire(now: start)
        let early = ticker.fire(now: start + .milliseconds(99))
        let due = ticker.fire(now: start + .milliseconds(100))
        #expect(!atStart)
        #expect(!early)
        #expect(due)
    }

    @Test func nextTickCountsFromTheLateTick() {
        let start = ContinuousClock.now
        var ticker = Ticker(interval: .milliseconds(100), now: start)
        let late = ticker.fire(now: start + .milliseconds(350))
        #expect(late)
        #expect(ticker.next == start + .milliseconds(450))
        let catchUp = ticker.fire(now: start + .milliseconds(449))
        #expect(!catchUp, "a late tick is not followed by catch-up ticks")
        let next = ticker.fire(now: start + .milliseconds(450))
        #expect(next)
    }
}

@Suite struct WaitPlanFromNeedsTests {
    let now = ContinuousClock.now

    private func need(pending: Bool = false, ticks: Bool = false, in timeout: Duration? = nil) -> WaitNeed {
        WaitNeed(pendingWork: pending, needsTicks: ticks, timeout: timeout)
    }

    private func wait(tickIn: Duration = .milliseconds(100), _ needs: [WaitNeed]) -> Int {
        WaitPlan.milliseconds(now: now, nextTick: now + tickIn, needs: needs)
    }

    @Test func anyPendingDriverMeansNoSleep() {
        #expect(wait([need(ticks: true, in: .seconds(5)), need(pending: true)]) == 0)
    }

    @Test func withoutNeedsTheLoopSleepsASecond() {
        #expect(wait([]) == WaitPlan.idleMilliseconds)
        #expect(wait([need(), need()]) == WaitPlan.idleMilliseconds)
    }

    @Test func oneDriverTickingMakesTheLoopTick() {
        #expect(wait(tickIn: .milliseconds(73), [need(), need(ticks: true)]) == 73)
    }

    @Test func theShortestTimeoutOfAnyDriverWins() {
        #expect(wait([need(in: .milliseconds(250)), need(in: .microseconds(39_100))]) == 40)
        #expect(wait(tickIn: .milliseconds(10), [need(ticks: true, in: .milliseconds(40))]) == 10)
        #expect(wait([need(in: .milliseconds(-3))]) == 0)
    }

    /// The plan from needs is the plan from the members it replaces, on a grid of ticks,
    /// deadlines and flags that includes passed ticks, passed deadlines and ties.
    @Test func agreesWithThePlanFromTimeouts() {
        let offsets: [Duration] = [.milliseconds(-5), .zero, .microseconds(300), .milliseconds(1), .microseconds(1_700),
                                   .milliseconds(73), .milliseconds(100), .microseconds(100_400), .seconds(2)]
        for tickIn in offsets {
            for ticking in [false, true] {
                for first in [nil] + offsets.map(Optional.some) {
                    for second in [nil] + offsets.map(Optional.some) {
                        let needs = [need(ticks: ticking, in: first), need(in: second)]
                        let expected = WaitPlan.milliseconds(
                            now: now, nextTick: now + tickIn, ticking: ticking, pendingWork: false,
                            timeouts: [first, second].compactMap { $0 })
                        #expect(wait(tickIn: tickIn, needs) == expected, "tick \(tickIn), \(String(describing: first)), \(String(describing: second))")
                    }
                }
            }
        }
    }

    /// A driver that only has the three separate members answers the same through the default.
    @Test func theDefaultNeedIsMadeOfTheSeparateMembers() {
        let driver = FixedDriver(pending: false, ticks: true, timeout: .milliseconds(7))
        #expect(driver.waitNeed(now: now) == WaitNeed(pendingWork: false, needsTicks: true, timeout: .milliseconds(7)))
        #expect(FixedDriver(pending: true, ticks: false, timeout: nil).waitNeed(now: now).pendingWork)
    }
}

private final class FixedDriver: EventDriver {
    let pending: Bool, ticks: Bool, fixedTimeout: Duration?
    init(pending: Bool, ticks: Bool, timeout: Duration?) { (self.pending, self.ticks, self.fixedTimeout) = (pending, ticks, timeout) }
    func attached(to worker: Worker) {}
    func process(now: ContinuousClock.Instant) {}
    func descriptorReady(_ fd: Int32, events: Worker.Events) {}
    func eventsHandled(now: ContinuousClock.Instant) {}
    func tick(now: ContinuousClock.Instant) {}
    var hasPendingWork: Bool { pending }
    var needsTicks: Bool { ticks }
    func timeout(now: ContinuousClock.Instant) -> Duration? { fixedTimeout }
    func workerStopped() {}
}

@Suite struct WaitPlanMillisecondsTests {
    /// The conversions as first written, through `Duration.components` only.
    private func reference(_ duration: Duration) -> (whole: Int, up: Int) {
        let (seconds, attoseconds) = duration.components
        let (milliseconds, rest) = attoseconds.quotientAndRemainder(dividingBy: 1_000_000_000_000_000)
        return (Int(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000),
                Int(clamping: seconds * 1000 + milliseconds + (rest > 0 ? 1 : 0)))
    }

    @Test func sixtyFourBitPathAgreesWithComponents() {
        var durations: [Duration] = [.zero, .nanoseconds(1), .nanoseconds(-1), .milliseconds(1), .milliseconds(-1),
                                     .microseconds(999), .microseconds(-999), .microseconds(1_001), .microseconds(-1_001),
                                     .seconds(9), .seconds(-9), .seconds(10), .seconds(-10), .seconds(3600), .seconds(-3600),
                                     .milliseconds(9_223), .milliseconds(9_224), .milliseconds(-9_224)]
        for step in stride(from: -20_000_000, through: 20_000_000, by: 123_457) { durations.append(.microseconds(step)) }
        for duration in durations {
            let expected = reference(duration)
            #expect(WaitPlan.wholeMilliseconds(duration) == expected.whole, "\(duration)")
            #expect(WaitPlan.millisecondsRoundedUp(duration) == expected.up, "\(duration)")
        }
    }
}
