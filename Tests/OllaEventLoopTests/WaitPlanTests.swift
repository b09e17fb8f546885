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
