import Testing
@testable import OllaCore

/// `Metrics` writes a label set it has seen through remembered table slots; what it
/// records must be what one lookup per table would record, folding included.
@Suite struct MetricsSlotsTests {
    private func record(_ metrics: Metrics, _ route: String, ttfb: Duration?) {
        metrics.requestCompleted(endpoint: "gpu", model: "m", route: route, status: 200, bytesOut: 10,
                                 timeToFirstByte: ttfb, duration: .milliseconds(20))
    }

    @Test func foldsAndTimeToFirstByteAsOneLookupPerTableWould() {
        let metrics = Metrics(maxLabelSets: 2)
        let ms: Duration = .milliseconds(1)
        record(metrics, "/r1", ttfb: nil)
        record(metrics, "/r2", ttfb: ms)
        record(metrics, "/r3", ttfb: ms)   // duration full: /r3 folds; ttfb has room
        record(metrics, "/r1", ttfb: ms)   // ttfb full now: /r1's first one folds
        record(metrics, "/r1", ttfb: nil)
        record(metrics, "/r3", ttfb: ms)
        let snapshot = metrics.snapshot()
        #expect(snapshot.duration.map { "\($0.route)=\($0.histogram.count)" } == ["/r1=3", "/r2=1", "other=2"])
        #expect(snapshot.timeToFirstByte.map { "\($0.route)=\($0.histogram.count)" } == ["/r2=1", "/r3=2", "other=1"])
        #expect(snapshot.requests.map { "\($0.model)\($0.route)=\($0.count)" } == ["m/r1=3", "m/r2=1", "other/r3=2"])
        #expect(snapshot.responseBytes.map(\.bytes) == [60])
        #expect(snapshot.stats(for: "gpu").requests == 6)
        #expect(metrics.endpointStats("gpu").bytesOut == 60)
        #expect(snapshot.totalRequests == 6)
    }

    @Test func requestsOllaAnsweredSkipTheEndpointTable() {
        let metrics = Metrics()
        for _ in 0..<3 {
            metrics.requestCompleted(endpoint: nil, model: nil, route: "/api/tags", status: 200, bytesOut: 5,
                                     timeToFirstByte: nil, duration: .zero)
        }
        let snapshot = metrics.snapshot()
        #expect(snapshot.endpoints.isEmpty)
        #expect(snapshot.requests.map(\.count) == [3])
        #expect(snapshot.responseBytes.map(\.endpoint) == [Metrics.none])
    }
}
