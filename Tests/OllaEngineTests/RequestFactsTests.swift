import Testing
@testable import OllaEngine

/// `RequestFacts.headAt` and the exchange's start are `RequestTime`s (nanoseconds of
/// `ContinuousClock`'s clock in an `Int64`): what is stored reads back as written, and the
/// distances the access log and `X-Olla-Response-Time` report are exact.
@Suite struct RequestFactsTests {
    @Test func headAtReadsBackTheTimeWritten() {
        var facts = RequestFacts()
        #expect(facts.headAt == nil)
        let now = RequestTime.now
        for time in [now, now + .seconds(-3_600), now + .milliseconds(42), now + .nanoseconds(1)] {
            facts.headAt = time
            #expect(facts.headAt == time)
        }
        facts.headAt = nil
        #expect(facts.headAt == nil)
    }

    @Test func copiesCarryTheHeadTime() {
        var facts = RequestFacts()
        let time = RequestTime.now + .seconds(5)
        facts.headAt = time
        let copy = facts
        facts.headAt = nil
        #expect(copy.headAt == time)
        #expect(facts.headAt == nil)
    }

    @Test func distancesAreExactDurations() {
        let start = RequestTime(nanoseconds: 7_000_000_123)
        let later = start + .milliseconds(42) + .nanoseconds(999_999)
        #expect(later - start == .nanoseconds(42_999_999))
        #expect(start - later == .nanoseconds(-42_999_999))
        // Truncated, as `Duration.wholeMilliseconds` of the same distance.
        #expect(later.wholeMilliseconds(since: start) == 42)
        #expect(later.wholeMilliseconds(since: start) == (later - start).wholeMilliseconds)
        #expect((start + .seconds(3_600)).wholeMilliseconds(since: start) == 3_600_000)
        #expect(start + .seconds(2) > start)
    }
}
