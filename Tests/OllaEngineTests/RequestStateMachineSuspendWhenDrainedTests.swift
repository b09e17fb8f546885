import Testing
@testable import OllaCore
@testable import OllaEngine

/// `readResponse(into:suspendingWhenDrained:)`: with a server that holds a suspension asked
/// for with bytes until they are sent (libmicrohttpd-olla's patch 0011), the read that empties
/// the queue of a running transfer suspends the client itself; every other read answers as
/// without the option.
@Suite struct RequestStateMachineSuspendWhenDrainedTests {
    typealias Machine = RequestStateMachine

    private func streaming(highWater: Int = 1 << 20) -> Machine {
        var m = Machine.fixture(highWater: highWater)
        _ = m.clientBodyComplete()
        _ = m.routed(.forward(Machine.a), model: "m", changesHoldings: false)
        _ = m.upstreamHeadReceived(Machine.ndjsonHead, at: .now)
        _ = m.pollAnswer()
        return m
    }

    private func receive(_ m: inout Machine, _ text: String) -> (Machine.Action, BodyAcceptance) {
        Array(text.utf8).withUnsafeBytes { m.upstreamBodyReceived($0) }
    }

    private func read(_ m: inout Machine, max: Int = 64) -> (Machine.Action, Exchange.ResponseRead, String) {
        var buffer = [UInt8](repeating: 0, count: max)
        let (action, result) = buffer.withUnsafeMutableBytes { m.readResponse(into: $0, suspendingWhenDrained: true) }
        if case .bytes(let n) = result { return (action, result, String(decoding: buffer[..<n], as: UTF8.self)) }
        return (action, result, "")
    }

    @Test func theReadThatEmptiesTheQueueSuspendsWithItsBytes() {
        var m = streaming()
        _ = receive(&m, "{\"a\":1}\n{\"a\":2}\n")
        let first = read(&m)
        #expect(first.0 == .none && first.2 == "{\"a\":1}\n", "bytes are left: no suspension")
        let last = read(&m)
        #expect(last.0 == .suspendClient && last.2 == "{\"a\":2}\n")
        // The client counts as suspended: the next chunk resumes it, and is read as usual.
        #expect(receive(&m, "{\"a\":3}\n").0 == .resumeClient)
        let next = read(&m)
        #expect(next.0 == .suspendClient && next.2 == "{\"a\":3}\n")
        // The end resumes the suspended client, which then reads the end.
        #expect(m.upstreamFinished(nil) == .resumeClient)
        #expect(read(&m).1 == .end)
    }

    @Test func halfARecordLeftBehindIsNotADrainedQueue() {
        var m = streaming()
        _ = receive(&m, "{\"a\":1}\n{\"a\":")
        let first = read(&m)
        #expect(first.0 == .none && first.2 == "{\"a\":1}\n")
        // What is left cannot go out yet: this read suspends, as without the option.
        let second = read(&m)
        #expect(second.0 == .suspendClient && second.1 == .suspended)
    }

    @Test func theLastBytesOfAFinishedTransferDoNotSuspend() {
        var m = streaming()
        _ = receive(&m, "{\"done\":true}\n")
        #expect(m.upstreamFinished(nil) == .none)
        let last = read(&m)
        #expect(last.0 == .none && last.2 == "{\"done\":true}\n")
        #expect(read(&m).1 == .end)
    }

    @Test func aPausedTransferIsUnpausedNotSuspended() {
        var m = streaming(highWater: 8)
        #expect(receive(&m, "{\"a\":1}\n").1 == .accepted)
        #expect(receive(&m, "{\"a\":2}\n").1 == .pause, "at the high-water mark: curl keeps it and pauses")
        let drained = read(&m)
        #expect(drained.0 == .unpauseTransfer && drained.2 == "{\"a\":1}\n")
    }

    /// The read moves the answering state out and back (no copy of the answer per read):
    /// every outcome leaves the same answer in place, with the client as the read left it.
    @Test func everyReadPutsTheAnswerBackWithTheClientItLeft() {
        var m = streaming()
        guard case .answering(let answer, .flowing) = m.state else { Issue.record("not answering"); return }
        _ = receive(&m, "{\"a\":1}\n{\"a\":2}\n")
        _ = read(&m)
        #expect(client(of: m, answer) == .flowing, "bytes left: still flowing")
        _ = read(&m)
        #expect(client(of: m, answer) == .suspended, "the emptying read suspended")
        #expect(receive(&m, "{\"a\":3}").0 == .resumeClient)
        #expect(read(&m).1 == .suspended, "half a record: nothing to send")
        #expect(client(of: m, answer) == .suspended)
        _ = receive(&m, "\n")
        _ = m.upstreamFinished(nil)
        #expect(read(&m).2 == "{\"a\":3}\n")
        #expect(read(&m).1 == .end)
        #expect(client(of: m, answer) == .flowing, "the end read keeps the client as it was")
    }

    /// The client of an answering machine whose answer is `answer` (nil otherwise).
    private func client(of m: Machine, _ answer: Machine.Answer) -> Machine.Client? {
        guard case .answering(let current, let client) = m.state, current === answer else { return nil }
        return client
    }

    @Test func withoutTheOptionTheEmptyingReadLeavesTheSuspensionToTheNext() {
        var m = streaming()
        _ = receive(&m, "{\"a\":1}\n")
        var buffer = [UInt8](repeating: 0, count: 64)
        let (action, result) = buffer.withUnsafeMutableBytes { m.readResponse(into: $0) }
        #expect(action == .none && result == .bytes(8))
        #expect(read(&m).0 == .suspendClient)
    }
}
