import Testing
@testable import OllaEngine

/// `RequestFacts.headAt` is stored as a `StoredInstant` (a distance from a fixed instant);
/// what is read back is exactly what was written.
@Suite struct RequestFactsTests {
    @Test func headAtReadsBackTheInstantWritten() {
        var facts = RequestFacts()
        #expect(facts.headAt == nil)
        let now = ContinuousClock.now
        // Before and after the reference (the first instant `StoredInstant` asked for), and sub-nanosecond.
        for instant in [now, now - .seconds(3_600), now + .milliseconds(42), now + .nanoseconds(1),
                        now + Duration(secondsComponent: 0, attosecondsComponent: 7)] {
            facts.headAt = instant
            #expect(facts.headAt == instant)
        }
        facts.headAt = nil
        #expect(facts.headAt == nil)
    }

    @Test func copiesCarryTheHeadInstant() {
        var facts = RequestFacts()
        let instant = ContinuousClock.now + .seconds(5)
        facts.headAt = instant
        let copy = facts
        facts.headAt = nil
        #expect(copy.headAt == instant)
        #expect(facts.headAt == nil)
    }
}
