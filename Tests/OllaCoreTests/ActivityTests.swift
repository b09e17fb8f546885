import Testing
@testable import OllaCore

/// The fleet page's data: the last requests, the timeline, and their JSON.
@Suite struct ActivityTests {
    private let origin = ContinuousClock.now

    private func request(
        model: String = "llama3", status: Int = 200, ttfb: Duration? = .milliseconds(100),
        completion: Int = 0, eval: Duration? = nil, load: Duration? = nil
    ) -> RecentRequest {
        RecentRequest(
            requestID: "r", method: "POST", route: "/api/chat", model: model, endpoint: "gpu-a", status: status,
            timeToFirstByte: ttfb, duration: .seconds(1),
            usage: completion > 0 || load != nil ? TokenUsage(promptTokens: 3, completionTokens: completion, evalDuration: eval, loadDuration: load) : nil,
            decision: "routed", reason: "loaded on gpu-a")
    }

    // MARK: timeline

    @Test func requestsErrorsAndColdLoadsLandInTheBucketWhereTheyEnded() {
        var timeline = ActivityTimeline(origin: origin, bucketWidth: .seconds(2), bucketCount: 10)
        timeline.record(request(), at: origin + .milliseconds(500))
        timeline.record(request(status: 502), at: origin + .milliseconds(1_999))
        timeline.record(request(load: .seconds(2)), at: origin + .milliseconds(2_000))
        timeline.record(request(status: 0, load: .milliseconds(20)), at: origin + .milliseconds(5_000))
        let buckets = timeline.buckets(endingWith: 2, count: 3)
        #expect(buckets.map(\.requests) == [2, 1, 1])
        #expect(buckets.map(\.errors) == [1, 0, 1])
        #expect(buckets.map(\.coldLoads) == [0, 1, 0])
    }

    @Test func tokensAreSpreadOverTheGenerationTime() {
        var timeline = ActivityTimeline(origin: origin, bucketWidth: .seconds(2), bucketCount: 10)
        // 60 tokens generated from 4 s to 7 s: 2 s in bucket 2 (4–6 s), 1 s in bucket 3 (6–8 s).
        timeline.record(request(completion: 60, eval: .seconds(3)), at: origin + .seconds(7))
        let buckets = timeline.buckets(endingWith: 3, count: 3)
        #expect(buckets.map(\.completionTokens) == [0, 40, 20])
        #expect(buckets.map(\.requests) == [0, 0, 1])
    }

    @Test func tokensWithoutTimingGoToTheLastBucket() {
        var timeline = ActivityTimeline(origin: origin, bucketWidth: .seconds(2), bucketCount: 10)
        timeline.record(request(completion: 9), at: origin + .seconds(3))
        #expect(timeline.buckets(endingWith: 1, count: 2).map(\.completionTokens) == [0, 9])
    }

    @Test func oldBucketsFallOutOfTheRing() {
        var timeline = ActivityTimeline(origin: origin, bucketWidth: .seconds(1), bucketCount: 4)
        timeline.record(request(), at: origin + .milliseconds(500))   // bucket 0
        timeline.record(request(), at: origin + .milliseconds(4_500)) // bucket 4 reuses bucket 0's slot
        #expect(timeline.buckets(endingWith: 4, count: 4).map(\.requests) == [0, 0, 0, 1])
        #expect(timeline.buckets(endingWith: 0, count: 1).map(\.requests) == [0])
        // A late record for a bucket the ring no longer holds is dropped, not misfiled.
        timeline.record(request(), at: origin + .milliseconds(200))
        #expect(timeline.buckets(endingWith: 4, count: 4).map(\.requests) == [0, 0, 0, 1])
    }

    @Test func aBucketKeepsABoundedNumberOfSamples() {
        var timeline = ActivityTimeline(origin: origin, bucketWidth: .seconds(2), bucketCount: 4)
        for index in 0..<(ActivityTimeline.samplesPerBucket + 10) {
            timeline.record(request(ttfb: .milliseconds(index)), at: origin + .milliseconds(1))
        }
        let bucket = timeline.buckets(endingWith: 0, count: 1)[0]
        #expect(bucket.requests == ActivityTimeline.samplesPerBucket + 10)
        #expect(bucket.timeToFirstByte.count == ActivityTimeline.samplesPerBucket)
        #expect(bucket.timeToFirstByte.contains(.milliseconds(ActivityTimeline.samplesPerBucket + 9)))
    }

    // MARK: recent requests

    @Test func recentListKeepsTheNewestFirstWithinItsCapacity() {
        let activity = FleetActivity(origin: origin, recentCapacity: 3)
        for index in 1...5 {
            activity.record(request(model: "m\(index)"), now: origin + .seconds(index))
        }
        let recent = activity.snapshot().recent
        #expect(recent.map(\.sequence) == [5, 4, 3])
        #expect(recent.map(\.request.model) == ["m5", "m4", "m3"])
    }

    /// `record(requestID:…)` (the engine's, which overwrites the oldest entry in place once
    /// the list is full) keeps exactly what `record(RecentRequest(…))` keeps: entries, their
    /// order and every bucket, through more requests than the list holds, with every kind of
    /// field (nil and set, failures, cold loads, tokens spread over buckets, long model names).
    @Test func recordingFieldsKeepsWhatRecordingARequestKeeps() {
        let byRecord = FleetActivity(origin: origin, recentCapacity: 4, bucketWidth: .seconds(2), bucketCount: 8)
        let byFields = FleetActivity(origin: origin, recentCapacity: 4, bucketWidth: .seconds(2), bucketCount: 8)
        let long = String(repeating: "é", count: 150)
        for index in 0..<11 {
            let usage: TokenUsage? = switch index % 4 {
            case 0: nil
            case 1: TokenUsage(promptTokens: index, completionTokens: 10 * index, evalDuration: .seconds(3))
            case 2: TokenUsage(promptTokens: 2, completionTokens: 5, loadDuration: .seconds(2))
            default: TokenUsage(promptTokens: 1, completionTokens: 0, loadDuration: .milliseconds(5))
            }
            let request = RecentRequest(
                requestID: index % 3 == 0 ? nil : "req-\(index)-\(String(repeating: "x", count: 20))",
                method: index % 2 == 0 ? "POST" : "GET", route: "/api/chat",
                model: index == 9 ? long : index % 5 == 0 ? nil : "model-\(index)",
                endpoint: index % 4 == 3 ? nil : "gpu-\(index % 2)",
                status: [200, 502, 0, 429, 503][index % 5],
                timeToFirstByte: index % 2 == 0 ? .milliseconds(10 * index) : nil,
                duration: .milliseconds(100 * index + 1), usage: usage,
                decision: index % 3 == 1 ? nil : "routed", reason: index % 3 == 2 ? nil : "reason \(index)")
            let now = origin + .milliseconds(700 * index)
            byRecord.record(request, now: now)
            byFields.record(
                requestID: request.requestID, method: request.method, route: request.route,
                model: index == 9 ? long : request.model, endpoint: request.endpoint, status: request.status,
                timeToFirstByte: request.timeToFirstByte, duration: request.duration, usage: request.usage,
                decision: request.decision, reason: request.reason, now: now)
        }
        let expected = byRecord.snapshot(), got = byFields.snapshot()
        #expect(got.recent.count == 4)
        #expect(got.recent == expected.recent)
        #expect(got.recent.contains { $0.request.model == String(repeating: "é", count: 100) })
        let last = expected.timeline.bucketNumber(at: origin + .milliseconds(700 * 10))
        #expect(got.timeline.buckets(endingWith: last, count: 8) == expected.timeline.buckets(endingWith: last, count: 8))
        #expect(expected.timeline.buckets(endingWith: last, count: 8).contains { $0.coldLoads > 0 && $0.errors > 0 })
    }

    @Test func longModelNamesAreCutOnACharacterBoundary() {
        let name = String(repeating: "é", count: 150)  // 300 bytes
        let cut = request(model: name).model!
        #expect(cut.utf8.count == RecentRequest.maxModelBytes)
        #expect(cut == String(repeating: "é", count: 100))
    }

    @Test func coldLoadAndSpeedComeFromTheFinalChunk() {
        #expect(request(load: .seconds(1)).coldLoad)
        #expect(!request(load: .milliseconds(12)).coldLoad)
        #expect(!request().coldLoad)
        #expect(request(completion: 50, eval: .milliseconds(500)).tokensPerSecond == 100)
        #expect(request(completion: 50).tokensPerSecond == nil)
    }

    // MARK: JSON

    /// The elements of a parsed array, without their source positions.
    private func values(_ array: JSONValue?) -> [JSONValue] {
        guard case .array(let nodes)? = array else { return [] }
        return nodes.map(\.value)
    }

    @Test func renderedActivityHasTheDocumentedShape() throws {
        let activity = FleetActivity(origin: origin, recentCapacity: 10, bucketWidth: .seconds(2), bucketCount: 300)
        activity.record(request(ttfb: .milliseconds(300), completion: 40, eval: .seconds(2), load: .seconds(3)),
                        now: origin + .seconds(3))
        activity.record(request(status: 503, ttfb: .milliseconds(100)), now: origin + .seconds(5))
        let body = ActivityRenderer.activity(activity.snapshot(), now: origin + .milliseconds(6_500))
        let json = try JSONParser().parse(body).value
        #expect(json.member("bucket_ms") == .integer(2_000))
        #expect(json.member("last_bucket_ago_ms") == .integer(500))
        let timeline = try #require(json.member("timeline"))
        // Buckets 0, 1 and 2 are complete at 6.5 s; bucket 3 is still filling. Rates and
        // percentiles cover the buckets so far (up to five): 1 request in 4 s, 2 in 6 s.
        #expect(values(timeline.member("requests_per_second")) == [0, 0.25, 0.33].map(ActivityRenderer.decimal))
        #expect(values(timeline.member("errors")) == [0, 0, 1].map(JSONValue.integer))
        #expect(values(timeline.member("cold_loads")) == [0, 1, 0].map(JSONValue.integer))
        // 40 tokens generated from 1 s to 3 s: 20 in bucket 0, 20 in bucket 1.
        #expect(values(timeline.member("tokens_per_second")) == [10, 10, 6.67].map(ActivityRenderer.decimal))
        #expect(values(timeline.member("ttfb_p50_ms")) == [.null, .integer(300), .integer(100)])
        #expect(values(timeline.member("ttfb_p95_ms")) == [.null, .integer(300), .integer(300)])
        let minute = try #require(json.member("last_minute"))
        #expect(minute.member("requests") == .integer(2))
        #expect(minute.member("errors") == .integer(1))
        #expect(minute.member("cold_loads") == .integer(1))
        #expect(minute.member("ttfb_p95_ms") == .integer(300))
        guard case .array(let recent)? = json.member("recent") else { Issue.record("no recent list"); return }
        #expect(recent.count == 2)
        let newest = recent[0].value, older = recent[1].value
        #expect(newest.member("sequence") == .integer(2))
        #expect(newest.member("status") == .integer(503))
        #expect(newest.member("ago_ms") == .integer(1_500))
        #expect(older.member("model") == .string("llama3"))
        #expect(older.member("endpoint") == .string("gpu-a"))
        #expect(older.member("ttfb_ms") == .integer(300))
        #expect(older.member("completion_tokens") == .integer(40))
        #expect(older.member("tokens_per_second") == ActivityRenderer.decimal(20))
        #expect(older.member("load_ms") == .integer(3_000))
        #expect(older.member("cold_load") == .bool(true))
        #expect(older.member("reason") == .string("loaded on gpu-a"))
    }

    @Test func ratesAndPercentilesCoverTheLastFiveBuckets() throws {
        let activity = FleetActivity(origin: origin, bucketWidth: .seconds(2), bucketCount: 300)
        // One 900 ms request in bucket 0, then a 100 ms request in each of buckets 1 to 6.
        activity.record(request(ttfb: .milliseconds(900)), now: origin + .seconds(1))
        for bucket in 1...6 {
            activity.record(request(ttfb: .milliseconds(100)), now: origin + .seconds(2 * bucket + 1))
        }
        let json = try JSONParser().parse(ActivityRenderer.activity(activity.snapshot(), now: origin + .seconds(14))).value
        let timeline = try #require(json.member("timeline"))
        // The slow request counts in the windows of buckets 0 to 4 and is gone from 5 on.
        #expect(values(timeline.member("ttfb_p95_ms")) == [900, 900, 900, 900, 900, 100, 100].map(JSONValue.integer))
        #expect(values(timeline.member("requests_per_second")) == [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5].map(ActivityRenderer.decimal))
    }

    @Test func decimalsHaveAtMostTwoPlaces() {
        #expect(ActivityRenderer.decimal(12) == .number(JSONNumber(text: "12")))
        #expect(ActivityRenderer.decimal(0.5) == .number(JSONNumber(text: "0.5")))
        #expect(ActivityRenderer.decimal(3.14159) == .number(JSONNumber(text: "3.14")))
        #expect(ActivityRenderer.decimal(0.05) == .number(JSONNumber(text: "0.05")))
        #expect(ActivityRenderer.decimal(.infinity) == .null)
    }
}
