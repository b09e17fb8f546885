import Testing
@testable import OllaCore

@Suite struct DurationMillisecondsTests {
    @Test func truncatesAndRoundsUp() {
        #expect(Duration.microseconds(1_400).wholeMilliseconds == 1)
        #expect(Duration.microseconds(1_400).millisecondsRoundedUp == 2)
        #expect(Duration.microseconds(400).millisecondsRoundedUp == 1)
        #expect(Duration.milliseconds(3).millisecondsRoundedUp == 3)
        #expect(Duration.zero.millisecondsRoundedUp == 0)
        #expect((Duration.zero - .milliseconds(5)).millisecondsRoundedUp == 0)
        #expect(Duration.milliseconds(500).secondsRoundedUp == 1)
        #expect(Duration.seconds(30).secondsRoundedUp == 30)
    }
}
