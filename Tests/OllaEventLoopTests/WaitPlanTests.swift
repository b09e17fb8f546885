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
        let start = LoopTime.now()
        var ticker = Ticker(interval: .milliseconds(100), now: start)
        let atStart = ticker.fire(now: start)
        let early = ticker.fire(now: start.advanced(byMilliseconds: 99))
        let due = ticker.fire(now: start.advanced(byMilliseconds: 100))
        #expect(!atStart)
        #expect(!early)
        #expect(due)
    }

    @Test func nextTickCountsFromTheLateTick() {
        let start = LoopTime.now()
        var ticker = Ticker(interval: .milliseconds(100), now: start)
        let late = ticker.fire(now: start.advanced(byMilliseconds: 350))
        #expect(late)
        #expect(ticker.next == start.advanced(byMilliseconds: 450))
        let catchUp = ticker.fire(now: start.advanced(by: .microseconds(449_999)))
        #expect(!catchUp, "a late tick is not followed by catch-up ticks")
        let next = ticker.fire(now: start.advanced(byMilliseconds: 450))
        #expect(next)
    }
}

@Suite struct LoopTimeTests {
    /// The loop's clock is `ContinuousClock`: a reading converts to the instant read beside it.
    @Test func readsTheContinuousClock() {
        let before = ContinuousClock.now
        let time = LoopTime.now()
        let after = ContinuousClock.now
        // The conversion's anchor is two reads taken back to back: allow it a millisecond.
        #expect(time.instant >= before - .milliseconds(1))
        #expect(time.instant <= after + .milliseconds(1))
    }

    @Test func convertsDurationsToWholeNanoseconds() {
        let start = LoopTime(nanoseconds: 1_000)
        #expect(start.advanced(by: .microseconds(3)).nanoseconds == 4_000)
        #expect(start.advanced(by: .nanoseconds(-1_500)).nanoseconds == -500)
        #expect(start.advanced(by: .seconds(3600)).nanoseconds == 3_600_000_001_000)
        #expect(start.advanced(byMilliseconds: -2).nanoseconds == -1_999_000)
        #expect(start.duration(to: LoopTime(nanoseconds: 3_000)) == .nanoseconds(2_000))
        #expect(start.advanced(by: .seconds(Int64.max)).nanoseconds == .max, "clamped, not trapped")
        #expect(LoopTime(nanoseconds: .max).advanced(byMilliseconds: 1).nanoseconds == .max)
        #expect(LoopTime(nanoseconds: -1).advanced(byMilliseconds: .min).nanoseconds == .min)
        #expect(LoopTime(nanoseconds: .min).nanoseconds(to: LoopTime(nanoseconds: .max)) == .max)
        #expect(LoopTime(nanoseconds: .max).nanoseconds(to: LoopTime(nanoseconds: -1)) == .min)
    }
}

@Suite struct WaitPlanFromNeedsTests {
    /// The round's reading, and the same time as an instant for the plan from timeouts.
    let now = LoopTime.now()
    var instant: ContinuousClock.Instant { now.instant }

    private func need(pending: Bool = false, ticks: Bool = false, in timeout: Duration? = nil) -> WaitNeed {
        WaitNeed(pendingWork: pending, needsTicks: ticks, deadline: timeout.map { now.advanced(by: $0) })
    }

    private func wait(tickIn: Duration = .milliseconds(100), _ needs: [WaitNeed]) -> Int {
        WaitPlan.milliseconds(now: now, nextTick: now.advanced(by: tickIn), needs: needs)
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
                            now: instant, nextTick: instant + tickIn, ticking: ticking, pendingWork: false,
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
        #expect(driver.waitNeed(now: now) == WaitNeed(pendingWork: false, needsTicks: true, deadline: now.advanced(byMilliseconds: 7)))
        #expect(FixedDriver(pending: true, ticks: false, timeout: nil).waitNeed(now: now).pendingWork)
    }
}

private final class FixedDriver: EventDriver {
    let pending: Bool, ticks: Bool, fixedTimeout: Duration?
    init(pending: Bool, ticks: Bool, timeout: Duration?) { (self.pending, self.ticks, self.fixedTimeout) = (pending, ticks, timeout) }
    func attached(to worker: Worker) {}
    func process(now: LoopTime) {}
    func descriptorReady(_ fd: Int32, events: Worker.Events) {}
    func eventsHandled(now: LoopTime) {}
    func tick(now: LoopTime) {}
    var hasPendingWork: Bool { pending }
    var needsTicks: Bool { ticks }
    func timeout(now: LoopTime) -> Duration? { fixedTimeout }
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
