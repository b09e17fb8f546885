import Testing
@testable import OllaEngine

/// `WakeSignal`: what ends a sleep. No assertion on how long anything took: a sleep that
/// should have ended and did not would hang the test (the hour-long deadlines), and one that
/// ended too early is caught by the state it left.
@Suite struct WakeSignalTests {
    @Test func aRingBeforeTheSleepEndsItAtOnceAndIsUsedUp() async {
        let signal = WakeSignal()
        signal.ring()
        signal.ring()  // two rings between sleeps are one
        await signal.sleep(until: .now + .seconds(3600))
        // The ring was used up: the next sleep lasts until its own deadline.
        let start = ContinuousClock.now
        await signal.sleep(until: start + .milliseconds(20))
        #expect(ContinuousClock.now >= start + .milliseconds(20))
    }

    @Test func aRingDuringTheSleepEndsIt() async {
        let signal = WakeSignal()
        let sleeper = Task { await signal.sleep(until: .now + .seconds(3600)) }
        while signal.sleeping == 0 { try? await Task.sleep(for: .milliseconds(1)) }
        signal.ring()
        await sleeper.value
    }

    /// A reload runs the old and the new endpoint monitor side by side for a moment.
    @Test func aRingEndsEverySleepInProgress() async {
        let signal = WakeSignal()
        let first = Task { await signal.sleep(until: .now + .seconds(3600)) }
        let second = Task { await signal.sleep(until: .now + .seconds(3600)) }
        while signal.sleeping < 2 { try? await Task.sleep(for: .milliseconds(1)) }
        signal.ring()
        await first.value
        await second.value
    }

    @Test func theDeadlineEndsTheSleep() async {
        let signal = WakeSignal()
        let deadline = ContinuousClock.now + .milliseconds(10)
        await signal.sleep(until: deadline)
        #expect(ContinuousClock.now >= deadline)
    }

    /// Each sleep's deadline is a timer that outlives it when a ring came first: firing
    /// then, it must end nothing (neither a later sleep nor, as a ring would, the next one).
    @Test func aDeadlineAfterItsSleepWasRungAwayEndsNothingLater() async {
        let signal = WakeSignal()
        let rung = Task { await signal.sleep(until: .now + .milliseconds(30)) }
        while signal.sleeping == 0 { try? await Task.sleep(for: .milliseconds(1)) }
        signal.ring()
        await rung.value
        // The first sleep's timer fires during this one.
        let start = ContinuousClock.now
        await signal.sleep(until: start + .milliseconds(150))
        #expect(ContinuousClock.now >= start + .milliseconds(150))
    }

    /// Two sleepers with their own deadlines: the earlier deadline ends only its own sleep.
    @Test func aDeadlineEndsOnlyItsOwnSleep() async {
        let signal = WakeSignal()
        let long = Task { await signal.sleep(until: .now + .seconds(3600)) }
        while signal.sleeping == 0 { try? await Task.sleep(for: .milliseconds(1)) }
        await signal.sleep(until: .now + .milliseconds(10))
        #expect(signal.sleeping == 1)
        signal.ring()
        await long.value
    }

    @Test func aDelayInWholeNanosecondsRoundsUpAndSaturates() {
        #expect(WakeSignal.nanoseconds(.seconds(2)) == 2_000_000_000)
        #expect(WakeSignal.nanoseconds(.nanoseconds(1)) == 1)
        #expect(WakeSignal.nanoseconds(Duration(secondsComponent: 0, attosecondsComponent: 1)) == 1)
        #expect(WakeSignal.nanoseconds(.seconds(Int64.max)) == Int.max)
    }

    @Test func cancellingTheSleeperEndsItsSleep() async {
        let signal = WakeSignal()
        let sleeper = Task { await signal.sleep(until: .now + .seconds(3600)) }
        sleeper.cancel()
        await sleeper.value
    }
}
