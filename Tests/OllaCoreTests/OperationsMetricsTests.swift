import Testing
@testable import OllaCore

@Suite("Operations: metrics and Prometheus output")
struct OperationsMetricsTests {
    private func recordSome(_ metrics: Metrics) {
        metrics.requestCompleted(endpoint: "gpu", model: "llama3:8b", route: "/api/chat", status: 200, bytesOut: 1_000,
                                 timeToFirstByte: .milliseconds(30), duration: .milliseconds(800))
        metrics.requestCompleted(endpoint: "gpu", model: "llama3:8b", route: "/api/chat", status: 200, bytesOut: 500,
                                 timeToFirstByte: .seconds(2), duration: .seconds(40))
        metrics.requestCompleted(endpoint: "gpu", model: "llama3:8b", route: "/api/chat", status: 502, bytesOut: 0,
                                 timeToFirstByte: nil, duration: .milliseconds(5))
        metrics.requestCompleted(endpoint: nil, model: nil, route: "/api/tags", status: 200, bytesOut: 64,
                                 timeToFirstByte: .microseconds(200), duration: .microseconds(300))
    }

    @Test func countsRequestsAndEndpointStats() {
        let metrics = Metrics()
        recordSome(metrics)
        metrics.inFlight(+1); metrics.inFlight(+1); metrics.inFlight(-1)
        let snapshot = metrics.snapshot()
        #expect(snapshot.totalRequests == 4)
        #expect(snapshot.failedRequests == 1)
        #expect(snapshot.inFlight == 1)
        #expect(snapshot.requests.map(\.count) == [2, 1, 1])
        #expect(snapshot.requests.first?.endpoint == "gpu")
        #expect(snapshot.requests.last?.endpoint == Metrics.none)
        let stats = metrics.endpointStats("gpu")
        #expect(stats.requests == 3 && stats.failures == 1 && stats.bytesOut == 1_500)
        #expect(stats.latencyPercentiles.p50 == .milliseconds(800))
        #expect(stats.latencyPercentiles.p99 == .seconds(40))
        #expect(snapshot.endpoints[Metrics.none] == nil)
        #expect(snapshot.stats(for: "missing").requests == 0)
    }

    @Test func latencyWindowKeepsRecentSamples() {
        var window = LatencyWindow(capacity: 4)
        #expect(window.percentile(0.5) == nil)
        for milliseconds in [100, 200, 300, 400, 500, 600] {
            window.record(.milliseconds(milliseconds))
        }
        #expect(window.count == 4)
        #expect(window.percentile(0) == .milliseconds(300))
        #expect(window.percentile(0.5) == .milliseconds(400))
        #expect(window.percentile(1) == .milliseconds(600))
    }

    @Test func labelSetsAreCapped() {
        let metrics = Metrics(maxLabelSets: 10)
        for index in 0..<100 {
            metrics.requestCompleted(endpoint: "gpu", model: "model-\(index)", route: "/api/chat", status: 200,
                                     bytesOut: 1, timeToFirstByte: nil, duration: .milliseconds(1))
            metrics.tokens(endpoint: "gpu", model: "model-\(index)", promptTokens: 1, completionTokens: 1, evalDuration: .zero)
        }
        let snapshot = metrics.snapshot()
        #expect(snapshot.requests.count == 11)
        #expect(snapshot.requests.first { $0.model == Metrics.other }?.count == 90)
        #expect(snapshot.tokens.count == 11)
        #expect(snapshot.requests.reduce(0) { $0 + $1.count } == 100)
    }

    @Test func histogramBucketsAreCumulative() {
        var histogram = Histogram(upperBounds: [1, 2, 5])
        for value in [0.5, 1, 1.5, 3, 10] {
            histogram.observe(value)
        }
        #expect(histogram.bucketCounts == [2, 1, 1, 1])
        #expect(histogram.cumulativeCounts == [2, 3, 4, 5])
        #expect(histogram.sum == 16)
        #expect(Histogram.ttfbBounds.first == 0.005 && Histogram.ttfbBounds.last == 300)
        #expect(Histogram.durationBounds.first == 0.01 && Histogram.durationBounds.last == 1800)
    }

    /// `name{labels} value` lines of the exposition text, by the part before the value.
    private func samples(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let space = line.lastIndex(of: " ")!
            result[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        return result
    }

    private func row(_ name: String, state: EndpointState, inFlight: Int = 0) -> EndpointStatusRow {
        EndpointStatusRow(name: name, url: "http://\(name):11434", type: "ollama", priority: 100, weight: 1,
                          state: state, routable: state.isRoutable, inFlight: inFlight)
    }

    @Test func rendersPrometheusText() throws {
        let metrics = Metrics()
        recordSome(metrics)
        metrics.failover(from: "gpu", reason: "connection")
        metrics.rejected(reason: .rateLimit)
        metrics.rejected(reason: .rateLimit)
        metrics.tokens(endpoint: "gpu", model: "llama3:8b", promptTokens: 26, completionTokens: 290, evalDuration: .seconds(2))
        let text = PrometheusRenderer.render(metrics: metrics.snapshot(),
                                             endpoints: [row("gpu", state: .healthy, inFlight: 2), row("laptop", state: .offline)])
        let values = samples(text)
        #expect(values[#"olla_requests_total{endpoint="gpu",model="llama3:8b",route="/api/chat",status="200"}"#] == "2")
        #expect(values[#"olla_requests_total{endpoint="none",model="none",route="/api/tags",status="200"}"#] == "1")
        #expect(values["olla_requests_in_flight"] == "0")
        let ttfb = #"olla_request_ttfb_seconds_bucket{endpoint="gpu",route="/api/chat",le="#
        #expect(values[ttfb + #""0.05"}"#] == "1")
        #expect(values[ttfb + #""2.5"}"#] == "2")
        #expect(values[ttfb + #""+Inf"}"#] == "2")
        #expect(values[#"olla_request_ttfb_seconds_count{endpoint="gpu",route="/api/chat"}"#] == "2")
        #expect(values[#"olla_request_ttfb_seconds_sum{endpoint="gpu",route="/api/chat"}"#] == "2.03")
        #expect(values[#"olla_request_duration_seconds_bucket{endpoint="gpu",route="/api/chat",le="1800"}"#] == "3")
        #expect(values[#"olla_response_bytes_total{endpoint="gpu"}"#] == "1500")
        #expect(values[#"olla_endpoint_up{endpoint="gpu"}"#] == "1")
        #expect(values[#"olla_endpoint_up{endpoint="laptop"}"#] == "0")
        #expect(values[#"olla_endpoint_state{endpoint="laptop",state="offline"}"#] == "1")
        #expect(values[#"olla_endpoint_state{endpoint="laptop",state="healthy"}"#] == "0")
        #expect(values[#"olla_endpoint_in_flight{endpoint="gpu"}"#] == "2")
        #expect(values[#"olla_failovers_total{endpoint="gpu",reason="connection"}"#] == "1")
        #expect(values[#"olla_rejections_total{reason="rate_limit"}"#] == "2")
        #expect(values[#"olla_rejections_total{reason="unauthorized"}"#] == "0")
        #expect(values[#"olla_tokens_total{endpoint="gpu",model="llama3:8b",kind="completion"}"#] == "290")
        #expect(values[#"olla_tokens_per_second{endpoint="gpu",model="llama3:8b"}"#] == "145")
        #expect(text.contains("# TYPE olla_request_ttfb_seconds histogram\n"))
        #expect(text.contains("# HELP olla_requests_total "))
        #expect(text.hasSuffix("\n"))
    }

    @Test func bucketsAreCumulativeInTheText() throws {
        let metrics = Metrics()
        for milliseconds in [3, 40, 40, 900, 4_000, 400_000] {
            metrics.requestCompleted(endpoint: "gpu", model: "m", route: "/api/generate", status: 200, bytesOut: 1,
                                     timeToFirstByte: .milliseconds(milliseconds), duration: .milliseconds(milliseconds))
        }
        let text = PrometheusRenderer.render(metrics: metrics.snapshot(), endpoints: [])
        let counts = text.split(separator: "\n")
            .filter { $0.hasPrefix("olla_request_ttfb_seconds_bucket{") }
            .map { Int($0.split(separator: " ").last!)! }
        #expect(counts.count == Histogram.ttfbBounds.count + 1)
        #expect(counts == counts.sorted())
        #expect(counts.first == 1)
        #expect(counts[counts.count - 2] == 5)  // le="300" excludes the 400s sample
        #expect(counts.last == 6)
    }

    @Test func labelValuesAreEscaped() {
        let metrics = Metrics()
        metrics.requestCompleted(endpoint: "gpu", model: "we\"ird\\model\nx", route: "/api/chat", status: 200, bytesOut: 0,
                                 timeToFirstByte: nil, duration: .zero)
        let text = PrometheusRenderer.render(metrics: metrics.snapshot(), endpoints: [])
        #expect(text.contains(#"model="we\"ird\\model\nx""#))
        #expect(!text.contains("model\nx"))
        #expect(PrometheusText.escapeLabelValue("a\\b\"c\nd") == #"a\\b\"c\nd"#)
        #expect(PrometheusText.format(0.005) == "0.005")
        #expect(PrometheusText.format(1800) == "1800")
        #expect(PrometheusText.format(.infinity) == "+Inf")
    }
}
