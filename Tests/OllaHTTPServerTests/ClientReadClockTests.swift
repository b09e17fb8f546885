import Testing
@testable import OllaHTTPServer

@Suite struct ClientReadClockTests {
    let second: Int64 = 1_000_000_000

    @Test func pausedClockNeverStalls() {
        let clock = ClientReadClock()
        #expect(!clock.hasStalled(now: 100 * second, limit: .seconds(1)))
        clock.pause()
        #expect(!clock.hasStalled(now: 200 * second, limit: .seconds(1)))
    }

    @Test func restartIsStampedByTheFirstCheckThenCounts() {
        let clock = ClientReadClock()
        clock.restart()
        #expect(!clock.hasStalled(now: 10 * second, limit: .seconds(1)), "the first check only starts the clock")
        #expect(!clock.hasStalled(now: 10 * second + second / 2, limit: .seconds(1)))
        #expect(clock.hasStalled(now: 11 * second, limit: .seconds(1)))
    }

    @Test func readingRestartsTheClock() {
        let clock = ClientReadClock()
        clock.restart()
        _ = clock.hasStalled(now: 10 * second, limit: .seconds(1))
        clock.restart()
        #expect(!clock.hasStalled(now: 11 * second, limit: .seconds(1)))
        #expect(!clock.hasStalled(now: 11 * second + second / 2, limit: .seconds(1)))
        #expect(clock.hasStalled(now: 12 * second, limit: .seconds(1)))
    }

    @Test func suspensionStopsCounting() {
        let clock = ClientReadClock()
        clock.restart()
        _ = clock.hasStalled(now: 10 * second, limit: .seconds(1))
        clock.pause()
        #expect(!clock.hasStalled(now: 60 * second, limit: .seconds(1)))
        clock.restart()
        #expect(!clock.hasStalled(now: 61 * second, limit: .seconds(1)), "a resumed client gets a fresh limit")
        #expect(clock.hasStalled(now: 62 * second, limit: .seconds(1)))
    }

    @Test func durationsConvertToNanoseconds() {
        #expect(ClientReadClock.nanoseconds(.milliseconds(1500)) == 1_500_000_000)
        #expect(ClientReadClock.nanoseconds(.nanoseconds(7)) == 7)
        #expect(ClientReadClock.nanoseconds(.seconds(Int64.max)) == .max)
    }
}
