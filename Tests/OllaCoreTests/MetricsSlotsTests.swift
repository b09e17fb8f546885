import Testing
@testable import OllaCore
import OllaTestSupport

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

    /// Runs of one label set (steady traffic: the last request's slots are reused without a
    /// lookup) interleaved with others record what a tally of the requests says.
    @Test func runsOfOneLabelSetRecordWhatATallySays() {
        let metrics = Metrics()
        var random = SplitMix64(seed: 14)
        var requests: [String: Int] = [:], firstBytes: [String: Int] = [:], completion: [String: Int] = [:]
        for _ in 0..<60 {
            let model = ["m1", "m2", "a-model-name-longer-than-fifteen-bytes"][Int(random.next() % 3)]
            let status = [200, 200, 502][Int(random.next() % 3)]
            for _ in 0..<Int(random.next() % 4) + 1 {
                let ttfb: Duration? = random.next() % 2 == 0 ? nil : .milliseconds(5)
                let tokens = random.next() % 2 == 0 ? nil : TokenUsage(promptTokens: 1, completionTokens: 2, evalDuration: nil)
                metrics.requestCompleted(endpoint: "gpu", model: model, route: "/api/chat", status: status, bytesOut: 1,
                                         timeToFirstByte: ttfb, duration: .milliseconds(1), tokens: tokens)
                requests["\(model) \(status)", default: 0] += 1
                if ttfb != nil { firstBytes["gpu", default: 0] += 1 }
                if tokens != nil { completion[model, default: 0] += 2 }
            }
        }
        let snapshot = metrics.snapshot()
        #expect(Dictionary(uniqueKeysWithValues: snapshot.requests.map { ("\($0.model) \($0.status)", $0.count) }) == requests)
        #expect(snapshot.timeToFirstByte.map(\.histogram.count) == [firstBytes["gpu", default: 0]])
        #expect(Dictionary(uniqueKeysWithValues: snapshot.tokens.map { ($0.model, $0.completion) }) == completion)
        #expect(snapshot.totalRequests == requests.values.reduce(0, +))
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
