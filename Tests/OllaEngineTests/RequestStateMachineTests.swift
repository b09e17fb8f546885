import Testing
@testable import OllaCore
@testable import OllaEngine

/// Scenarios of one request's life: each test is a flat script of events and the actions
/// the owner must carry out (the transition table is in `RequestStateMachineTransitionTests`).
@Suite struct RequestStateMachineTests {
    typealias Machine = RequestStateMachine
    let a = Machine.a, b = Machine.b, c = EndpointTarget(name: "c", baseURL: "http://127.0.0.1:3", priority: 1)

    private func bytes(_ text: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        Array(text.utf8).withUnsafeBytes(body)
    }

    private func receive(_ m: inout Machine, _ text: String) -> BodyAcceptance {
        var result = BodyAcceptance.accepted
        bytes(text) { result = m.upstreamBodyReceived($0).1 }
        return result
    }

    private func read(_ m: inout Machine, max: Int = 64) -> (Machine.Action, Exchange.ResponseRead, String) {
        var buffer = [UInt8](repeating: 0, count: max)
        let (action, result) = buffer.withUnsafeMutableBytes { m.readResponse(into: $0) }
        if case .bytes(let n) = result { return (action, result, String(decoding: buffer[..<n], as: UTF8.self)) }
        return (action, result, "")
    }

    private func readUpload(_ m: inout Machine, max: Int = 16) -> (Machine.Action, UploadRead, String) {
        var buffer = [UInt8](repeating: 0, count: max)
        let (action, result) = buffer.withUnsafeMutableBytes { m.readUpload(into: $0) }
        if case .bytes(let n) = result { return (action, result, String(decoding: buffer[..<n], as: UTF8.self)) }
        return (action, result, "")
    }

    /// Everything the reader sends until the end (one record per read for NDJSON and SSE).
    private func readToEnd(_ m: inout Machine) -> String {
        var text = ""
        for _ in 0..<100 {
            let (_, result, piece) = read(&m, max: 512)
            guard case .bytes = result else { break }
            text += piece
        }
        return text
    }

    private let head = Machine.ndjsonHead

    /// A buffered request routed to `targets`, its first attempt started.
    private func forwarded(_ targets: [EndpointTarget]? = nil, highWater: Int = 8, attempts: Int = 2,
                           keepsTail: Bool = false, flavor: APIFlavor = .native, body: String = "") -> Machine {
        var m = Machine.fixture(highWater: highWater, attempts: attempts, keepsTail: keepsTail, flavor: flavor)
        if !body.isEmpty { Machine.send(body, to: &m) }
        guard case .route = m.clientBodyComplete() else { Issue.record("expected route"); return m }
        let plan = RoutingPlan(target: .forward(targets ?? [a, b]), strategy: .optimistic, decision: .routed, reason: "t")
        _ = m.routed(plan, model: "m", changesHoldings: false)
        return m
    }

    private func streaming(_ contentType: String, highWater: Int = 1 << 20) -> Machine {
        var m = forwarded(highWater: highWater)
        _ = m.upstreamHeadReceived(UpstreamHead(status: 200, headers: [HTTPHeader("Content-Type", contentType)]), at: .now)
        _ = m.pollAnswer()
        return m
    }

    @Test func bufferedRequestIsRoutedWaitsForHeadThenStreams() {
        var m = Machine.fixture()
        Machine.send(#"{"model":"m"}"#, to: &m)
        guard case .route(let body) = m.clientBodyComplete() else { Issue.record("expected route"); return }
        #expect(body.bytes == Array(#"{"model":"m"}"#.utf8))
        #expect(m.facts.bodyLength == 13)
        let start = m.routed(.forward(a, b), model: "m", changesHoldings: false)
        #expect(start == .startAttempt(.init(index: 0, endpoint: a, body: body)))
        #expect(m.facts.endpoint == a)
        let (wait, poll) = m.pollAnswer()
        #expect(wait == .suspendClient)
        guard case .wait = poll else { Issue.record("expected wait"); return }
        #expect(m.upstreamHeadReceived(head, at: .now).0 == .resumeClient)
        guard case .respond(let sent) = m.pollAnswer().1 else { Issue.record("expected head"); return }
        #expect(sent.status == 200)
        #expect(m.facts.status == 200)
        // Nothing buffered yet: the reader suspends, a chunk resumes.
        let first = read(&m)
        #expect(first.0 == .suspendClient && first.1 == .suspended)
        #expect(receive(&m, "{\"a\":1}\n") == .accepted)
        #expect(read(&m).2 == "{\"a\":1}\n")
        #expect(m.upstreamFinished(nil) == .none)
        #expect(read(&m).1 == .end)
        #expect(m.facts.bytesSent == 8)
    }

    @Test func aSmallCompleteAnswerGoesOutInOneWrite() {
        var m = forwarded()
        _ = m.upstreamHeadReceived(UpstreamHead(status: 200, headers: [HTTPHeader("Content-Length", "2")]), at: .now)
        _ = receive(&m, "ok")
        _ = m.upstreamFinished(nil)
        guard case .respondComplete(_, let body) = m.pollAnswer().1 else { Issue.record("expected whole answer"); return }
        #expect(body == Array("ok".utf8))
        #expect(m.facts.bytesSent == 2)
    }

    /// A whole answer larger than the queue's inline room, in three chunks: the one buffer
    /// holds every byte in order, and the tail still reads the answer's last bytes after it.
    @Test func aLargerCompleteAnswerGoesOutWholeAndKeepsItsTail() {
        var m = forwarded(highWater: 1 << 20, keepsTail: true)
        let text = (0..<500).map { "line \($0);" }.joined()
        _ = m.upstreamHeadReceived(UpstreamHead(status: 200, headers: [HTTPHeader("Content-Length", "\(text.utf8.count)")]),
                                   at: .now)
        let bytes = Array(text.utf8)
        for part in [bytes[..<7], bytes[7..<2000], bytes[2000...]] { _ = receive(&m, String(decoding: part, as: UTF8.self)) }
        _ = m.upstreamFinished(nil)
        guard case .respondComplete(_, let body) = m.pollAnswer().1 else { Issue.record("expected whole answer"); return }
        #expect(body == bytes)
        #expect(m.facts.bytesSent == Int64(bytes.count))
        #expect(m.facts.tailBytes(size: 12) == Array(bytes.suffix(12)))
    }

    @Test func fullBufferPausesTheBackendAndDrainingResumesIt() {
        var m = forwarded(highWater: 8)
        _ = m.upstreamHeadReceived(head, at: .now)
        _ = m.pollAnswer()
        #expect(receive(&m, "12345678") == .accepted)
        #expect(receive(&m, "9") == .pause)
        // Draining below the low-water mark (half) unpauses.
        let (action, _, text) = read(&m, max: 6)
        #expect(text == "123456")
        #expect(action == .unpauseTransfer)
        #expect(receive(&m, "9") == .accepted)
    }

    @Test func connectFailureTriesTheNextEndpointBeforeAnswering() {
        var m = forwarded()
        _ = m.pollAnswer()
        guard case .startAttempt(let start) = m.upstreamFinished(.connectFailed("refused")) else {
            Issue.record("expected a retry"); return
        }
        #expect(start.index == 1 && start.endpoint == b)
        #expect(m.facts.endpoint == b)
        #expect(m.upstreamFinished(.connectFailed("refused")) == .resumeClient)
        guard case .respondError(let error) = m.pollAnswer().1 else { Issue.record("expected error"); return }
        #expect(error.status == 502)
        #expect(error.message == "instance b: backend unreachable: refused")
    }

    @Test func attemptsAreBoundedByTheCandidates() {
        var m = forwarded([a], attempts: 3)
        #expect(m.upstreamFinished(.connectTimedOut) == .none)
        guard case .respondError(let error) = m.pollAnswer().1 else { Issue.record("expected error"); return }
        #expect(error.status == 504)
    }

    @Test func attemptsAreBoundedByTheRetries() {
        var m = forwarded([a, b, c], attempts: 2)
        guard case .startAttempt = m.upstreamFinished(.connectFailed("x")) else { Issue.record("expected retry"); return }
        #expect(m.upstreamFinished(.connectFailed("x")) == .none)
        #expect(m.state.name == "answering(ready, ended)")
    }

    @Test func busyAnswersAreRetriedElsewhereBeforeAnyByteIsSent() {
        var m = forwarded()
        _ = m.pollAnswer()
        let busy = UpstreamHead(status: 503, headers: [])
        let (action, disposition) = m.upstreamHeadReceived(busy, at: .now)
        #expect(disposition == .abandon)
        guard case .startAttempt(let start) = action else { Issue.record("expected retry"); return }
        #expect(start.index == 1 && start.endpoint == b)
        // The last candidate's 503 is the answer.
        #expect(m.upstreamHeadReceived(busy, at: .now).1 == .accept)
        guard case .respond(let sent) = m.pollAnswer().1 else { Issue.record("expected head"); return }
        #expect(sent.status == 503)
    }

    @Test func failuresAfterConnectAreNotRetried() {
        var m = forwarded(attempts: 3)
        _ = m.pollAnswer()
        _ = m.upstreamFinished(.firstByteTimedOut)
        guard case .respondError(let error) = m.pollAnswer().1 else { Issue.record("expected error"); return }
        #expect(error.status == 504)
    }

    @Test func aBackendClosingWithoutAnswerIs502() {
        var m = forwarded()
        _ = m.upstreamFinished(nil)
        guard case .respondError(let error) = m.pollAnswer().1 else { Issue.record("expected error"); return }
        #expect(error.status == 502 && error.message == "backend closed the connection without a response")
    }

    @Test func midStreamFailureEndsWithAnErrorLine() {
        var m = forwarded(highWater: 1024)
        _ = m.upstreamHeadReceived(head, at: .now)
        _ = m.pollAnswer()
        _ = receive(&m, "{\"n\":1}\n")
        _ = read(&m)
        _ = read(&m)  // suspends waiting for more
        #expect(m.upstreamFinished(.transferFailed("reset")) == .resumeClient)
        let (_, result, text) = read(&m, max: 256)
        #expect(result != .abort)
        #expect(text.hasPrefix("{\"error\":\"") && text.hasSuffix("\n"))
        #expect(read(&m).1 == .end)
    }

    @Test func midStreamFailureOfAnAnthropicStreamEndsWithAnErrorEvent() {
        var m = forwarded([a], highWater: 1024, attempts: 1, keepsTail: true, flavor: .anthropic)
        _ = m.upstreamHeadReceived(UpstreamHead(status: 200, headers: [HTTPHeader("Content-Type", "text/event-stream")]), at: .now)
        _ = m.pollAnswer()
        _ = receive(&m, "event: ping\ndata: {\"type\":\"ping\"}\n\n")
        _ = read(&m, max: 256)
        _ = m.upstreamFinished(.transferFailed("reset"))
        let (_, _, text) = read(&m, max: 256)
        #expect(text.hasPrefix("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\""))
        #expect(read(&m).1 == .end)
    }

    @Test func anErrorEventAfterAPartialEventStandsOnItsOwn() {
        var m = forwarded([a], highWater: 1024, attempts: 1, keepsTail: true, flavor: .anthropic)
        _ = m.upstreamHeadReceived(UpstreamHead(status: 200, headers: [HTTPHeader("Content-Type", "text/event-stream")]), at: .now)
        _ = m.pollAnswer()
        _ = receive(&m, "event: ping\ndata: {\"type\":\"pi")
        _ = m.upstreamFinished(.transferFailed("reset"))
        let text = readToEnd(&m)
        #expect(text.hasSuffix("{\"type\":\"pi\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"instance a: backend connection broke: reset\"}}\n\n"))
    }

    @Test func anNDJSONErrorLineAfterAPartialLineStandsOnItsOwn() {
        var m = forwarded(highWater: 1024)
        _ = m.upstreamHeadReceived(head, at: .now)
        _ = m.pollAnswer()
        _ = receive(&m, "{\"n\":1}\n{\"n\"")
        _ = m.upstreamFinished(.transferFailed("reset"))
        let text = readToEnd(&m)
        #expect(text.hasPrefix("{\"n\":1}\n{\"n\"\n{\"error\":"))
    }

    @Test func midStreamFailureOfAResponsesStreamContinuesItsNumbering() {
        var m = forwarded([a], highWater: 1024, attempts: 1, keepsTail: true, flavor: .openAIResponses)
        _ = m.upstreamHeadReceived(UpstreamHead(status: 200, headers: [HTTPHeader("Content-Type", "text/event-stream")]), at: .now)
        _ = m.pollAnswer()
        _ = receive(&m, "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":41}\n\n")
        _ = read(&m, max: 256)
        _ = m.upstreamFinished(.idleTimedOut)
        let (_, _, text) = read(&m, max: 512)
        #expect(text.hasPrefix("event: error\ndata: {\"type\":\"error\",\"sequence_number\":42,"))
    }

    @Test func midStreamFailureOfAKnownLengthBodyAborts() {
        var m = forwarded()
        _ = m.upstreamHeadReceived(UpstreamHead(status: 200, headers: [HTTPHeader("Content-Length", "100"), HTTPHeader("Content-Type", "application/json")]), at: .now)
        _ = m.pollAnswer()
        _ = m.upstreamFinished(.transferFailed("reset"))
        #expect(read(&m).1 == .abort)
    }

    @Test func clientLeavingWhileWaitingCancelsAndReleases() {
        var m = forwarded()
        _ = m.pollAnswer()
        #expect(m.clientLeft() == .cancelTransferAndResumeClient)
        // The server is called again to release the connection: it must not suspend again.
        let (action, poll) = m.pollAnswer()
        #expect(action == .none)
        guard case .respondError = poll else { Issue.record("expected an answer"); return }
        #expect(m.upstreamFinished(.transferFailed("cancelled")) == .none)
        #expect(m.clientCompleted() == .none)
        #expect(m.facts.status == nil)
    }

    @Test func streamedUploadAppliesBackpressureBothWays() {
        var m = Machine.fixture(streamsUpload: true, highWater: 8)
        guard case .startAttempt(let start) = m.uploadRouted(.forward(a)) else { Issue.record("expected start"); return }
        #expect(start.body == nil)
        // curl asks before any byte arrived: pause the upload.
        #expect(readUpload(&m, max: 4).1 == .pause)
        bytes("abcdefgh") {
            let (action, error) = m.clientBodyReceived($0)
            #expect(error == nil)
            #expect(action == .unpauseTransferAndSuspendClient)
        }
        // Draining to the low-water mark resumes the client.
        let (action, _, text) = readUpload(&m, max: 4)
        #expect(action == .resumeClient)
        #expect(text == "abcd")
        #expect(m.clientBodyComplete() == .none)
        #expect(readUpload(&m, max: 4).2 == "efgh")
        #expect(readUpload(&m, max: 4).1 == .end)
    }

    @Test func aStreamedUploadWaitingForBytesIsUnpausedByTheEnd() {
        var m = Machine.fixture(streamsUpload: true, highWater: 8)
        _ = m.uploadRouted(.forward(a))
        #expect(readUpload(&m).1 == .pause)
        #expect(m.clientBodyComplete() == .unpauseTransfer)
        #expect(readUpload(&m).1 == .end)
    }

    @Test func aStreamedUploadIsRetriedOnlyBeforeCurlTookAByte() {
        var m = Machine.fixture(streamsUpload: true, highWater: 64)
        _ = m.uploadRouted(.forward(a, b))
        guard case .startAttempt = m.upstreamFinished(.connectFailed("x")) else { Issue.record("expected retry"); return }
        Machine.send("abc", to: &m)
        _ = readUpload(&m)
        #expect(m.upstreamFinished(.connectFailed("x")) == .none)
        #expect(m.state.name == "answering(ready, ended)")
    }

    @Test func aStreamedUploadThatCannotBeRoutedIsAnsweredAndItsBodyDropped() {
        var m = Machine.fixture(streamsUpload: true)
        #expect(m.uploadRouted(.forward()) == .none)
        Machine.send("abc", to: &m)
        #expect(m.clientBodyComplete() == .none)
        guard case .respondError(let error) = m.pollAnswer().1 else { Issue.record("expected error"); return }
        #expect(error.status == 400)
    }

    @Test func anEarlyAnswerToAStreamedUploadKeepsTheClientHeldWhileTheUploadRuns() {
        var m = Machine.fixture(streamsUpload: true, highWater: 4)
        _ = m.uploadRouted(.forward(a))
        bytes("abcd") { #expect(m.clientBodyReceived($0).0 == .suspendClient) }
        // The head arrives while the client is held back by a full upload queue.
        #expect(m.upstreamHeadReceived(head, at: .now).0 == .none)
        #expect(readUpload(&m, max: 2).0 == .resumeClient)
        Machine.send("ef", to: &m)
        #expect(m.clientBodyComplete() == .none)
        guard case .respond = m.pollAnswer().1 else { Issue.record("expected head"); return }
    }

    @Test func oversizedBodyIsRejected() {
        var m = Machine.fixture(maxBody: 4)
        bytes("abc") { #expect(m.clientBodyReceived($0).1 == nil) }
        bytes("de") { #expect(m.clientBodyReceived($0).1?.status == 413) }
        #expect(m.facts.status == 413)
        #expect(m.state.name == "finished")
    }

    @Test func bufferedBodyIsReplayedOnRetry() {
        var m = forwarded(body: "hello")
        #expect(readUpload(&m).2 == "hello")
        #expect(readUpload(&m).1 == .end)
        _ = m.upstreamFinished(.connectFailed("refused"))
        #expect(readUpload(&m).2 == "hello")
    }

    @Test func aBodyIsCopiedOnceAndSharedByEveryAttempt() {
        var m = Machine.fixture()
        Machine.send("hello", to: &m)
        guard case .route(let body) = m.clientBodyComplete() else { Issue.record("expected route"); return }
        guard case .startAttempt(let first) = m.routed(.forward(a, b), model: nil, changesHoldings: false),
              case .startAttempt(let second) = m.upstreamFinished(.connectFailed("x")) else {
            Issue.record("expected two attempts"); return
        }
        #expect(first.body?.isSame(as: body) == true && second.body?.isSame(as: body) == true)
    }

    @Test func anEmptyBodyWithoutAnnouncementHasNoLength() {
        var m = Machine.fixture(announced: nil)
        _ = m.clientBodyComplete()
        #expect(m.facts.bodyLength == nil)
        var n = Machine.fixture(announced: -1)
        _ = n.clientBodyComplete()
        #expect(n.facts.bodyLength == 0)
    }

    @Test func shutdownEndsRunningStreamsWithATrailer() {
        var m = forwarded(highWater: 1024)
        _ = m.upstreamHeadReceived(head, at: .now)
        _ = m.pollAnswer()
        _ = read(&m)
        #expect(m.terminate(reason: "olla is shutting down") == .cancelTransferAndResumeClient)
        #expect(read(&m, max: 256).2.contains("shutting down"))
        #expect(read(&m).1 == .end)
    }

    @Test func shutdownAnswersAWaitingRequestWith503() {
        var m = forwarded()
        _ = m.pollAnswer()
        #expect(m.terminate(reason: "olla is shutting down") == .cancelTransferAndResumeClient)
        guard case .respondError(let error) = m.pollAnswer().1 else { Issue.record("expected error"); return }
        #expect(error.status == 503)
    }

    @Test func ndjsonGoesOutOneLinePerRead() {
        var m = streaming("application/x-ndjson")
        #expect(receive(&m, "{\"a\":1}\n{\"a\":2}\n{\"a\":") == .accepted)
        #expect(read(&m).2 == "{\"a\":1}\n")
        #expect(read(&m).2 == "{\"a\":2}\n")
        // Half a record: the reader waits for the rest instead of sending it.
        #expect(read(&m).1 == .suspended)
        _ = receive(&m, "3}\n")
        #expect(read(&m).2 == "{\"a\":3}\n")
        // Longer than the reader's buffer: split (the pathological case).
        _ = receive(&m, "0123456789\n")
        #expect(read(&m, max: 4).2 == "0123")
        #expect(m.upstreamFinished(nil) == .none)
        #expect(read(&m).2 == "456789\n")
        #expect(read(&m).1 == .end)
    }

    @Test func sseGoesOutOneEventPerRead() {
        var m = streaming("text/event-stream; charset=utf-8")
        _ = receive(&m, "data: 1\n\ndata: 2\r\n\r\ndata: [DONE]\n")
        #expect(read(&m).2 == "data: 1\n\n")
        #expect(read(&m).2 == "data: 2\r\n\r\n")
        #expect(read(&m).1 == .suspended)
        _ = receive(&m, "\n")
        #expect(read(&m).2 == "data: [DONE]\n\n")
    }

    @Test func otherContentTypesGoOutAsTheyCome() {
        var m = streaming("application/json")
        _ = receive(&m, "{\"a\":1}\n{\"b\"")
        #expect(read(&m).2 == "{\"a\":1}\n{\"b\"")
    }

    @Test func aHeldFinalLineWaitsForTheEnd() {
        var m = Machine.fixture(highWater: 1 << 20)
        _ = m.clientBodyComplete()
        _ = m.routed(.forward(a), model: "m", changesHoldings: true)
        _ = m.upstreamHeadReceived(head, at: .now)
        _ = m.pollAnswer()
        _ = receive(&m, "{\"status\":\"pulling\"}\n")
        #expect(read(&m).1 == .suspended)
        _ = receive(&m, "{\"status\":\"success\"}\n")
        #expect(read(&m).2 == "{\"status\":\"pulling\"}\n")
        #expect(read(&m).1 == .suspended)
        #expect(m.upstreamFinished(nil) == .resumeClient)
        #expect(read(&m).2 == "{\"status\":\"success\"}\n")
        #expect(read(&m).1 == .end)
    }

    @Test func aHeldRequestStartsWhenReleasedAndIsAnsweredWhenRefused() {
        var m = Machine.fixture()
        _ = m.clientBodyComplete()
        #expect(m.routed(.held("m"), model: "m", changesHoldings: false) == .hold(model: "m"))
        #expect(m.pollAnswer().0 == .suspendClient)
        guard case .startAttempt(let start) = m.heldRequestReleased(.forward(b)) else { Issue.record("expected start"); return }
        #expect(start.endpoint == b)

        var refused = Machine.fixture()
        _ = refused.clientBodyComplete()
        _ = refused.routed(.held("m"), model: "m", changesHoldings: false)
        _ = refused.pollAnswer()
        #expect(refused.heldRequestRefused(ProxyError(.serviceUnavailable, "wait bound"), retryAfterSeconds: 7) == .resumeClient)
        guard case .reject(_, let retryAfter) = refused.facts.plan?.target else { Issue.record("expected reject"); return }
        #expect(retryAfter == 7 && refused.facts.plan?.decision == .rejected)
    }

    @Test func aReleaseWithNoInstanceLeftAnswers503() {
        var m = Machine.fixture()
        _ = m.clientBodyComplete()
        _ = m.routed(.held("m"), model: "m", changesHoldings: false)
        #expect(m.heldRequestReleased(.forward()) == .none)
        guard case .respondError(let error) = m.pollAnswer().1 else { Issue.record("expected error"); return }
        #expect(error.status == 503)
    }

    @Test func aFanOutAnswersWithTheMergedResponse() {
        var m = Machine.fixture()
        Machine.send("{}", to: &m)
        guard case .route(let body) = m.clientBodyComplete() else { Issue.record("expected route"); return }
        #expect(m.routed(.fanOut(a, b), model: "m", changesHoldings: true) == .startFanOut([a, b], body))
        #expect(m.facts.loggedEndpoint == "a,b")
        #expect(m.pollAnswer().0 == .suspendClient)
        #expect(m.fanOutFinished(LocalResponse(status: 200, headers: [], body: [])) == .resumeClient)
        guard case .respondLocal(let response) = m.pollAnswer().1 else { Issue.record("expected local"); return }
        #expect(response.status == 200 && m.facts.status == 200)
    }

    @Test func theTailKeepsTheLastBytesOfAnInferenceAnswer() {
        var m = forwarded(highWater: 1 << 20, keepsTail: true)
        _ = m.upstreamHeadReceived(head, at: .now)
        let chunk = String(repeating: "x", count: 5000) + "{\"eval_count\":3}\n"
        _ = receive(&m, chunk)
        let tail = m.facts.tailBytes(size: Machine.tailSize)
        #expect(tail.count == Machine.tailSize)
        #expect(String(decoding: tail.suffix(17), as: UTF8.self) == "{\"eval_count\":3}\n")
    }
}

@Suite struct RetryPolicyTests {
    @Test func busyStatusesAreRetriedOthersAreNot() {
        #expect(RetryPolicy.retries(status: 503) && RetryPolicy.retries(status: 429))
        #expect(!RetryPolicy.retries(status: 500) && !RetryPolicy.retries(status: 404) && !RetryPolicy.retries(status: 200))
    }

    @Test func onlyFailuresBeforeTheBackendSawTheRequestAreRetried() {
        #expect(RetryPolicy.retries(.connectFailed("x")) && RetryPolicy.retries(.connectTimedOut))
        #expect(!RetryPolicy.retries(.firstByteTimedOut) && !RetryPolicy.retries(.idleTimedOut))
        #expect(!RetryPolicy.retries(.transferFailed("x")) && !RetryPolicy.retries(.refused(status: 503)))
    }

    @Test func attemptsLeftDependOnCountAndReplayableBody() {
        #expect(RetryPolicy.hasAttemptLeft(after: 0, of: 2, bodyTaken: 100, streamed: false))
        #expect(!RetryPolicy.hasAttemptLeft(after: 1, of: 2, bodyTaken: 0, streamed: false))
        #expect(RetryPolicy.hasAttemptLeft(after: 0, of: 2, bodyTaken: 0, streamed: true))
        #expect(!RetryPolicy.hasAttemptLeft(after: 0, of: 2, bodyTaken: 1, streamed: true))
        #expect(RetryPolicy.maxAttempts(configured: 3, candidates: 2) == 2)
        #expect(RetryPolicy.maxAttempts(configured: 1, candidates: 5) == 1)
        #expect(RetryPolicy.maxAttempts(configured: 0, candidates: 0) == 1)
    }

    @Test func errorsNameTheInstanceAndMapTimeoutsTo504() {
        #expect(RetryPolicy.error(for: .connectFailed("refused"), endpoint: "gpu1").status == 502)
        #expect(RetryPolicy.error(for: .connectFailed("refused"), endpoint: "gpu1").message
                == "instance gpu1: backend unreachable: refused")
        #expect(RetryPolicy.error(for: .connectTimedOut).status == 504)
        #expect(RetryPolicy.error(for: .firstByteTimedOut, endpoint: "-").message
                == "backend did not answer within the response timeout")
        #expect(RetryPolicy.error(for: .transferFailed("reset")).status == 502)
    }
}

@Suite struct ByteQueueTests {
    @Test func drainsInOrderAcrossAppends() {
        var queue = ByteQueue()
        Array("hello ".utf8).withUnsafeBytes { queue.append($0) }
        queue.append("world")
        var out = [UInt8](repeating: 0, count: 4)
        var collected = ""
        while queue.count > 0 {
            let n = out.withUnsafeMutableBytes { queue.drain(into: $0) }
            collected += String(decoding: out[..<n], as: UTF8.self)
        }
        #expect(collected == "hello world")
    }
}
