import Testing
@testable import OllaCore

/// Where `ActivityTimeline` puts a generation's tokens when all of it falls in one bucket
/// (the short path) and when it crosses a boundary, including one it ends exactly on.
@Suite struct ActivityTimelineSpreadTests {
    private let origin = ContinuousClock.now

    private func tokens(_ count: Int, eval: Duration, endingAt end: Duration) -> [Double] {
        var timeline = ActivityTimeline(origin: origin, bucketWidth: .seconds(2), bucketCount: 10)
        let usage = TokenUsage(promptTokens: 1, completionTokens: count, evalDuration: eval)
        timeline.record(RecentRequest(requestID: nil, method: "POST", route: "/api/chat", model: "m", endpoint: "e",
                                      status: 200, timeToFirstByte: nil, duration: eval, usage: usage),
                        at: origin + end)
        return timeline.buckets(endingWith: 3, count: 4).map(\.completionTokens)
    }

    @Test func aGenerationInsideOneBucketPutsEveryTokenThere() {
        #expect(tokens(10, eval: .milliseconds(500), endingAt: .seconds(5)) == [0, 0, 10, 0])
        #expect(tokens(7, eval: .milliseconds(1_999), endingAt: .seconds(6)) == [0, 0, 7, 0])
    }

    @Test func aGenerationAcrossABoundaryIsShared() {
        #expect(tokens(30, eval: .seconds(3), endingAt: .seconds(6)) == [0, 10, 20, 0])
        #expect(tokens(8, eval: .seconds(2), endingAt: .seconds(4)) == [0, 8, 0, 0])
        #expect(tokens(8, eval: .seconds(2), endingAt: .seconds(5)) == [0, 4, 4, 0])
    }
}
