import Testing
@testable import OllaHTTPServer

@Suite struct ClientReadClockTests {
    // The clock is noncopyable: #expect cannot take apart a call with it as an argument, so
    // each answer is read into a constant first.
    let second: Int64 = 1_000_000_000

    @Test func pausedClockNeverStalls() {
        let clock = ClientReadClock()
        do { let stalled = clock.hasStalled(now: 100 * second, limit: .seconds(1)); #expect(!stalled) }
        clock.pause()
        do { let stalled = clock.hasStalled(now: 200 * second, limit: .seconds(1)); #expect(!stalled) }
    }

    @Test func restartIsStampedByTheFirstCheckThenCounts() {
        let clock = ClientReadClock()
        clock.restart()
        do { let stalled = clock.hasStalled(now: 10 * second, limit: .seconds(1)); #expect(!stalled, "the first check only starts the clock") }
        do { let stalled = clock.hasStalled(now: 10 * second + second / 2, limit: .seconds(1)); #expect(!stalled) }
        do { let stalled = clock.hasStalled(now: 11 * second, limit: .seconds(1)); #expect(stalled) }
    }

    @Test func readingRestartsTheClock() {
        let clock = ClientReadClock()
        clock.restart()
        _ = clock.hasStalled(now: 10 * second, limit: .seconds(1))
        clock.restart()
        do { let stalled = clock.hasStalled(now: 11 * second, limit: .seconds(1)); #expect(!stalled) }
        do { let stalled = clock.hasStalled(now: 11 * second + second / 2, limit: .seconds(1)); #expect(!stalled) }
        do { let stalled = clock.hasStalled(now: 12 * second, limit: .seconds(1)); #expect(stalled) }
    }

    @Test func suspensionStopsCounting() {
        let clock = ClientReadClock()
        clock.restart()
        _ = clock.hasStalled(now: 10 * second, limit: .seconds(1))
        clock.pause()
        do { let stalled = clock.hasStalled(now: 60 * second, limit: .seconds(1)); #expect(!stalled) }
        clock.restart()
        do { let stalled = clock.hasStalled(now: 61 * second, limit: .seconds(1)); #expect(!stalled, "a resumed client gets a fresh limit") }
        do { let stalled = clock.hasStalled(now: 62 * second, limit: .seconds(1)); #expect(stalled) }
    }

    @Test func durationsConvertToNanoseconds() {
        #expect(ClientReadClock.nanoseconds(.milliseconds(1500)) == 1_500_000_000)
        #expect(ClientReadClock.nanoseconds(.nanoseconds(7)) == 7)
        #expect(ClientReadClock.nanoseconds(.seconds(Int64.max)) == .max)
    }
}
