import Testing
@testable import OllaCore
@testable import OllaEngine

/// Each test is a flat script of events and the actions the owner must carry out.
@Suite struct ExchangeStateMachineTests {
    typealias Machine = ExchangeStateMachine

    private func machine(streamsUpload: Bool = false, highWater: Int = 8, attempts: Int = 2, maxBody: Int64 = 0) -> Machine {
        Machine(streamsUpload: streamsUpload, highWater: highWater, maxAttempts: attempts, maxBodySize: maxBody)
    }

    private func bytes(_ text: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        Array(text.utf8).withUnsafeBytes(body)
    }

    private func receive(_ m: inout Machine, _ text: String) -> BodyAcceptance {
        var result = BodyAcceptance.accepted
        bytes(text) { result = m.upstreamBodyReceived($0).1 }
        return result
    }

    private func read(_ m: inout Machine, max: Int = 64) -> (Machine.Actions, Machine.Read, String) {
        var buffer = [UInt8](repeating: 0, count: max)
        let (actions, result) = buffer.withUnsafeMutableBytes { m.readResponse(into: $0) }
        if case .bytes(let n) = result { return (actions, result, String(decoding: buffer[..<n], as: UTF8.self)) }
        return (actions, result, "")
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

    private let head = UpstreamHead(status: 200, headers: [("Content-Type", "application/x-ndjson")])

    @Test func bufferedRequestWaitsForHeadThenStreams() {
        var m = machine()
        #expect(m.requestHeadReceived() == .none)
        bytes(#"{"model":"m"}"#) { #expect(m.clientBodyReceived($0).1 == nil) }
        #expect(m.clientBodyComplete() == Machine.Actions(upstream: .start(attempt: 0)))
        let (wait, poll) = m.pollAnswer()
        #expect(wait.client == .suspend)
        guard case .wait = poll else { Issue.record("expected wait"); return }
        #expect(m.upstreamHeadReceived(head).0.client == .resume)
        guard case .respond(let sent) = m.pollAnswer().1 else { Issue.record("expected head"); return }
        #expect(sent.status == 200)
        // Nothing buffered yet: the reader suspends, a chunk resumes.
        let first = read(&m)
        #expect(first.0.client == .suspend && first.1 == .suspended)
        #expect(receive(&m, "{\"a\":1}\n") == .accepted)
        #expect(m.clientSuspended == false)
        #expect(read(&m).2 == "{\"a\":1}\n")
        #expect(m.upstreamFinished(nil) == .none)
        #expect(read(&m).1 == .end)
    }

    @Test func fullBufferPausesTheBackendAndDrainingResumesIt() {
        var m = machine(highWater: 8)
        _ = m.clientBodyComplete()
        _ = m.upstreamHeadReceived(head)
        _ = m.pollAnswer()
        #expect(receive(&m, "12345678") == .accepted)
        #expect(receive(&m, "9") == .pause)
        // Draining below the low-water mark (half) unpauses.
        let (actions, _, text) = read(&m, max: 6)
        #expect(text == "123456")
        #expect(actions.upstream == .unpause)
        #expect(receive(&m, "9") == .accepted)
    }

    @Test func connectFailureTriesTheNextEndpointBeforeAnswering() {
        var m = machine(attempts: 2)
        _ = m.clientBodyComplete()
        _ = m.pollAnswer()
        #expect(m.upstreamFinished(.connectFailed("refused")).upstream == .start(attempt: 1))
        let last = m.upstreamFinished(.connectFailed("refused"))
        #expect(last.client == .resume)
        guard case .respondError(let error) = m.pollAnswer().1 else { Issue.record("expected error"); return }
        #expect(error.status == 502)
    }

    @Test func theErrorNamesTheInstanceThatFailed() {
        var m = machine(attempts: 1)
        _ = m.clientBodyComplete()
        _ = m.pollAnswer()
        _ = m.upstreamFinished(.connectFailed("Couldn't connect to server"), endpoint: "local-ollama")
        guard case .respondError(let error) = m.pollAnswer().1 else { Issue.record("expected error"); return }
        #expect(error.status == 502)
        #expect(error.message == "instance local-ollama: backend unreachable: Couldn't connect to server")
    }

    @Test func busyAnswersAreRetriedElsewhereBeforeAnyByteIsSent() {
        var m = machine(attempts: 2)
        _ = m.clientBodyComplete()
        _ = m.pollAnswer()
        let busy = UpstreamHead(status: 503, headers: [])
        let (actions, disposition) = m.upstreamHeadReceived(busy)
        #expect(disposition == .abandon)
        #expect(actions.upstream == .start(attempt: 1))
        // The last candidate's 503 is the answer.
        #expect(m.upstreamHeadReceived(busy).1 == .accept)
        guard case .respond(let sent) = m.pollAnswer().1 else { Issue.record("expected head"); return }
        #expect(sent.status == 503)
    }

    @Test func failuresAfterConnectAreNotRetried() {
        var m = machine(attempts: 3)
        _ = m.clientBodyComplete()
        _ = m.pollAnswer()
        _ = m.upstreamFinished(.firstByteTimedOut)
        guard case .respondError(let error) = m.pollAnswer().1 else { Issue.record("expected error"); return }
        #expect(error.status == 504)
    }

    @Test func midStreamFailureEndsWithAnErrorLine() {
        var m = machine(highWater: 1024)
        _ = m.clientBodyComplete()
        _ = m.upstreamHeadReceived(head)
        _ = m.pollAnswer()
        _ = receive(&m, "{\"n\":1}\n")
        _ = read(&m)
        _ = read(&m)  // suspends waiting for more
        #expect(m.upstreamFinished(.transferFailed("reset")).client == .resume)
        let (_, result, text) = read(&m, max: 256)
        #expect(result != .abort)
        #expect(text.hasPrefix("{\"error\":\"") && text.hasSuffix("\n"))
        #expect(read(&m).1 == .end)
    }

    @Test func midStreamFailureOfAnAnthropicStreamEndsWithAnErrorEvent() {
        var m = Machine(streamsUpload: false, highWater: 1024, maxAttempts: 1, maxBodySize: 0, keepsTail: true, flavor: .anthropic)
        _ = m.clientBodyComplete()
        _ = m.upstreamHeadReceived(UpstreamHead(status: 200, headers: [("Content-Type", "text/event-stream")]))
        _ = m.pollAnswer()
        _ = receive(&m, "event: ping\ndata: {\"type\":\"ping\"}\n\n")
        _ = read(&m, max: 256)
        _ = m.upstreamFinished(.transferFailed("reset"))
        let (_, _, text) = read(&m, max: 256)
        #expect(text.hasPrefix("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\""))
        #expect(read(&m).1 == .end)
    }

    @Test func anErrorEventAfterAPartialEventStandsOnItsOwn() {
        var m = Machine(streamsUpload: false, highWater: 1024, maxAttempts: 1, maxBodySize: 0, keepsTail: true, flavor: .anthropic)
        _ = m.clientBodyComplete()
        _ = m.upstreamHeadReceived(UpstreamHead(status: 200, headers: [("Content-Type", "text/event-stream")]))
        _ = m.pollAnswer()
        _ = receive(&m, "event: ping\ndata: {\"type\":\"pi")
        _ = m.upstreamFinished(.transferFailed("reset"))
        let text = readToEnd(&m)
        #expect(text.hasSuffix("{\"type\":\"pi\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"backend connection broke: reset\"}}\n\n"))
    }

    @Test func anNDJSONErrorLineAfterAPartialLineStandsOnItsOwn() {
        var m = machine(highWater: 1024)
        _ = m.clientBodyComplete()
        _ = m.upstreamHeadReceived(head)
        _ = m.pollAnswer()
        _ = receive(&m, "{\"n\":1}\n{\"n\"")
        _ = m.upstreamFinished(.transferFailed("reset"))
        let text = readToEnd(&m)
        #expect(text.hasPrefix("{\"n\":1}\n{\"n\"\n{\"error\":"))
    }

    @Test func midStreamFailureOfAResponsesStreamContinuesItsNumbering() {
        var m = Machine(streamsUpload: false, highWater: 1024, maxAttempts: 1, maxBodySize: 0, keepsTail: true,
                        flavor: .openAIResponses)
        _ = m.clientBodyComplete()
        _ = m.upstreamHeadReceived(UpstreamHead(status: 200, headers: [("Content-Type", "text/event-stream")]))
        _ = m.pollAnswer()
        _ = receive(&m, "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":41}\n\n")
        _ = read(&m, max: 256)
        _ = m.upstreamFinished(.idleTimedOut)
        let (_, _, text) = read(&m, max: 512)
        #expect(text.hasPrefix("event: error\ndata: {\"type\":\"error\",\"sequence_number\":42,"))
    }

    @Test func midStreamFailureOfAKnownLengthBodyAborts() {
        var m = machine()
        _ = m.clientBodyComplete()
        _ = m.upstreamHeadReceived(UpstreamHead(status: 200, headers: [("Content-Length", "100"), ("Content-Type", "application/json")]))
        _ = m.pollAnswer()
        _ = m.upstreamFinished(.transferFailed("reset"))
        #expect(read(&m).1 == .abort)
    }

    @Test func clientLeavingWhileWaitingCancelsAndReleases() {
        var m = machine()
        _ = m.clientBodyComplete()
        _ = m.pollAnswer()
        #expect(m.clientWentAway() == Machine.Actions(client: .resume, upstream: .cancel))
        // The server is called again to release the connection: it must not suspend again.
        let (actions, poll) = m.pollAnswer()
        #expect(actions.client == .none)
        guard case .respondError = poll else { Issue.record("expected an answer"); return }
        #expect(m.upstreamFinished(.transferFailed("cancelled")) == .none)
        #expect(m.clientCompleted(successfully: false) == .none)
    }

    @Test func streamedUploadAppliesBackpressureBothWays() {
        var m = machine(streamsUpload: true, highWater: 8)
        #expect(m.requestHeadReceived().upstream == .start(attempt: 0))
        var buffer = [UInt8](repeating: 0, count: 4)
        // curl asks before any byte arrived: pause the upload.
        #expect(buffer.withUnsafeMutableBytes { m.readUpload(into: $0) }.1 == .pause)
        bytes("abcdefgh") {
            let (actions, error) = m.clientBodyReceived($0)
            #expect(error == nil)
            #expect(actions == Machine.Actions(client: .suspend, upstream: .unpause))
        }
        // Draining to the low-water mark resumes the client.
        #expect(buffer.withUnsafeMutableBytes { m.readUpload(into: $0) }.0.client == .resume)
        #expect(String(decoding: buffer, as: UTF8.self) == "abcd")
        #expect(m.clientBodyComplete() == .none)
        _ = buffer.withUnsafeMutableBytes { m.readUpload(into: $0) }
        #expect(buffer.withUnsafeMutableBytes { m.readUpload(into: $0) }.1 == .end)
    }

    @Test func oversizedBodyIsRejected() {
        var m = machine(maxBody: 4)
        bytes("abc") { #expect(m.clientBodyReceived($0).1 == nil) }
        bytes("de") { #expect(m.clientBodyReceived($0).1?.status == 413) }
    }

    @Test func bufferedBodyIsReplayedOnRetry() {
        var m = machine(attempts: 2)
        bytes("hello") { _ = m.clientBodyReceived($0) }
        _ = m.clientBodyComplete()
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(buffer.withUnsafeMutableBytes { m.readUpload(into: $0) }.1 == .bytes(5))
        _ = m.upstreamFinished(.connectFailed("refused"))
        #expect(buffer.withUnsafeMutableBytes { m.readUpload(into: $0) }.1 == .bytes(5))
        #expect(String(decoding: buffer[..<5], as: UTF8.self) == "hello")
    }

    @Test func shutdownEndsRunningStreamsWithATrailer() {
        var m = machine(highWater: 1024)
        _ = m.clientBodyComplete()
        _ = m.upstreamHeadReceived(head)
        _ = m.pollAnswer()
        _ = read(&m)
        #expect(m.terminate(reason: "olla is shutting down") == Machine.Actions(client: .resume, upstream: .cancel))
        #expect(read(&m, max: 256).2.contains("shutting down"))
        #expect(read(&m).1 == .end)
    }

    private func streaming(_ contentType: String, highWater: Int = 1 << 20) -> Machine {
        var m = machine(highWater: highWater)
        _ = m.clientBodyComplete()
        _ = m.upstreamHeadReceived(UpstreamHead(status: 200, headers: [("Content-Type", contentType)]))
        _ = m.pollAnswer()
        return m
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
        var m = streaming("application/x-ndjson")
        m.holdFinalRecord()
        _ = receive(&m, "{\"status\":\"pulling\"}\n")
        #expect(read(&m).1 == .suspended)
        _ = receive(&m, "{\"status\":\"success\"}\n")
        #expect(read(&m).2 == "{\"status\":\"pulling\"}\n")
        #expect(read(&m).1 == .suspended)
        #expect(m.upstreamFinished(nil).client == .resume)
        #expect(read(&m).2 == "{\"status\":\"success\"}\n")
        #expect(read(&m).1 == .end)
    }
}

@Suite struct ByteQueueTests {
    @Test func drainsInOrderAcrossAppends() {
        var queue = ByteQueue()
        Array("hello ".utf8).withUnsafeBytes { queue.append($0) }
        queue.append("world")
        var out = [UInt8](repeating: 0, count: 4)
        var collected = ""
        while !queue.isEmpty {
            let n = out.withUnsafeMutableBytes { queue.drain(into: $0) }
            collected += String(decoding: out[..<n], as: UTF8.self)
        }
        #expect(collected == "hello world")
    }
}
