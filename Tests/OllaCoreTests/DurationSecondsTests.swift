import Testing
@testable import OllaCore
import OllaTestSupport

/// `Duration.secondsAndAttoseconds` (one 64-bit division for durations from zero to 18.4 s)
/// gives `components`' values for every duration, at and around the fast path's bounds.
@Suite struct DurationSecondsTests {
    static let word = Int128(UInt64.max)
    static let attosecondsPerSecond: Int128 = 1_000_000_000_000_000_000

    static let durations: [Duration] = [
        .zero, Duration(attoseconds: 1), Duration(attoseconds: -1),
        Duration(attoseconds: attosecondsPerSecond - 1), .seconds(1), Duration(attoseconds: attosecondsPerSecond + 1),
        .milliseconds(250), .nanoseconds(4_799_921_000), .seconds(18), .milliseconds(18_446),
        Duration(attoseconds: word - 1), Duration(attoseconds: word), Duration(attoseconds: word + 1),
        .seconds(19), .seconds(3_600), .seconds(-5), .milliseconds(-1_500),
        Duration(attoseconds: Int128(Int64.max) * attosecondsPerSecond),
        Duration(attoseconds: Int128(Int64.min) * attosecondsPerSecond),
    ]

    @Test func theSameComponentsAsTheStandardLibrary() {
        for duration in Self.durations {
            #expect(duration.secondsAndAttoseconds == duration.components, "\(duration)")
        }
        var random = SplitMix64(seed: 18)
        for _ in 0..<2_000 {
            let duration = Duration(attoseconds: Int128(Int64(bitPattern: random.next())) * Int128(random.next() % 8 + 1))
            #expect(duration.secondsAndAttoseconds == duration.components, "\(duration)")
        }
    }

    @Test func secondsFromTheComponents() {
        for duration in Self.durations {
            let (whole, attoseconds) = duration.components
            #expect(duration.seconds == Double(whole) + Double(attoseconds) / 1e18, "\(duration)")
        }
        #expect(Duration.milliseconds(1_500).seconds == 1.5)
        #expect(Duration.seconds(-2).seconds == -2)
    }

    @Test func schedulingSecondsFromTheComponents() {
        for duration in Self.durations {
            let (whole, attoseconds) = duration.components
            #expect(duration.schedulingSeconds == Double(whole) + Double(attoseconds) / 1e18, "\(duration)")
        }
        #expect(Duration.milliseconds(250).schedulingSeconds == 0.25)
    }
}
