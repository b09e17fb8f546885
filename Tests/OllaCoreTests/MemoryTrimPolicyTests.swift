import Testing
@testable import OllaCore

@Suite struct MemoryTrimPolicyTests {
    let start = ContinuousClock.now

    /// `shouldTrim` is mutating, which `#expect` cannot call directly.
    private func trim(_ policy: inout MemoryTrimPolicy, live: Int, now: ContinuousClock.Instant) -> Bool {
        policy.shouldTrim(live: live, now: now)
    }

    private func trim(_ policy: inout MemoryTrimPolicy, live: Int, peak: Int, now: ContinuousClock.Instant) -> Bool {
        policy.shouldTrim(live: live, peakSinceLastSample: peak, now: now)
    }

    @Test func trimsOnceABurstHasMostlyEnded() {
        var policy = MemoryTrimPolicy()
        #expect(trim(&policy, live: 1000, now: start) == false)
        #expect(trim(&policy, live: 251, now: start + .seconds(1)) == false)
        #expect(trim(&policy, live: 250, now: start + .seconds(2)))
        // The peak starts over from what is live: nothing more to give back.
        #expect(trim(&policy, live: 0, now: start + .seconds(30)) == false)
    }

    @Test func smallBurstsAreNotWorthATrim() {
        var policy = MemoryTrimPolicy()
        #expect(trim(&policy, live: MemoryTrimPolicy.minimumPeak - 1, now: start) == false)
        #expect(trim(&policy, live: 0, now: start + .seconds(1)) == false)
    }

    @Test func aBurstBetweenTwoSamplesIsSeenThroughItsPeak() {
        var policy = MemoryTrimPolicy()
        #expect(trim(&policy, live: 0, peak: 0, now: start) == false)
        // 1,000 streams opened and closed within the second between two samples.
        #expect(trim(&policy, live: 0, peak: 1000, now: start + .seconds(1)))
        #expect(trim(&policy, live: 0, peak: 0, now: start + .seconds(30)) == false)
    }

    @Test func aBurstBetweenSamplesWithinTheIntervalIsTrimmedOnceItHasPassed() {
        var policy = MemoryTrimPolicy()
        #expect(trim(&policy, live: 0, peak: 1000, now: start))
        // A second burst, unseen by the samples themselves, 2 s after that trim.
        #expect(trim(&policy, live: 0, peak: 1000, now: start + .seconds(2)) == false)
        #expect(trim(&policy, live: 0, peak: 0, now: start + .seconds(5)) == false)
        #expect(trim(&policy, live: 0, peak: 0, now: start + .seconds(10)))
    }

    @Test func trimsAtMostOncePerInterval() {
        var policy = MemoryTrimPolicy()
        _ = policy.shouldTrim(live: 400, now: start)
        #expect(trim(&policy, live: 0, now: start + .seconds(1)))
        _ = policy.shouldTrim(live: 400, now: start + .seconds(2))
        #expect(trim(&policy, live: 0, now: start + .seconds(3)) == false)
        // The burst is remembered until the interval has passed.
        #expect(trim(&policy, live: 0, now: start + .seconds(11)))
    }
}
