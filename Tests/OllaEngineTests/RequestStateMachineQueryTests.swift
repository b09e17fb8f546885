import Testing
@testable import OllaCore
@testable import OllaEngine

/// What the owner asks the machine between events — the facts the adapters used to keep a copy
/// of (the end of the body, how much of it curl took, whether the transfer is paused) — and
/// the attempt start that carries its own accounting.
@Suite struct RequestStateMachineQueryTests {
    typealias Machine = RequestStateMachine
    let a = Machine.a, b = Machine.b

    private func readUpload(_ m: inout Machine, max: Int) -> UploadRead {
        var buffer = [UInt8](repeating: 0, count: max)
        return buffer.withUnsafeMutableBytes { m.readUpload(into: $0) }.1
    }

    private func read(_ m: inout Machine, max: Int) -> (Machine.Action, Exchange.ResponseRead) {
        var buffer = [UInt8](repeating: 0, count: max)
        return buffer.withUnsafeMutableBytes { m.readResponse(into: $0) }
    }

    private func receive(_ m: inout Machine, _ text: String) -> BodyAcceptance {
        Array(text.utf8).withUnsafeBytes { m.upstreamBodyReceived($0).1 }
    }

    // MARK: The end of the body

    @Test func aBufferedBodyAwaitsItsEndUntilItCompletes() {
        var m = Machine.fixture()
        #expect(m.awaitsBodyEnd)
        Machine.send("hello", to: &m)
        #expect(m.awaitsBodyEnd)
        _ = m.clientBodyComplete()
        #expect(!m.awaitsBodyEnd, "routing: the end was seen")
        _ = m.routed(.forward(a), model: "m", changesHoldings: false)
        #expect(!m.awaitsBodyEnd)
    }

    @Test func aStreamedUploadAwaitsItsEndWhileATransferReadsIt() {
        var m = Machine.fixture(streamsUpload: true)
        #expect(!m.awaitsBodyEnd, "not routed yet: nothing reads the body")
        _ = m.uploadRouted(.forward(a))
        #expect(m.awaitsBodyEnd)
        _ = m.upstreamHeadReceived(Machine.ndjsonHead, at: .now)
        #expect(m.awaitsBodyEnd, "an early answer: the transfer still takes the body")
        #expect(m.clientBodyComplete() == .none)
        #expect(!m.awaitsBodyEnd)
    }

    @Test func anUnroutableUploadDoesNotAwaitItsEnd() {
        var m = Machine.fixture(streamsUpload: true)
        _ = m.uploadRouted(.forward())
        #expect(!m.awaitsBodyEnd, "Olla answers and drops the body: no transfer waits for its end")
    }

    @Test func aFinishedRequestAwaitsNothing() {
        var m = Machine.fixture()
        _ = m.clientLeft()
        #expect(!m.awaitsBodyEnd)
    }

    // MARK: How much of the body curl took

    @Test func aBufferedBodyIsFullyTakenAtItsLastByte() {
        var m = Machine.fixture()
        Machine.send("hello", to: &m)
        _ = m.clientBodyComplete()
        _ = m.routed(.forward(a, b), model: "m", changesHoldings: false)
        #expect(!m.uploadFullyTaken)
        #expect(readUpload(&m, max: 3) == .bytes(3))
        #expect(!m.uploadFullyTaken)
        #expect(readUpload(&m, max: 3) == .bytes(2))
        #expect(m.uploadFullyTaken)
        // A retry sends the body again from its start.
        _ = m.upstreamFinished(.connectFailed("refused"))
        #expect(!m.uploadFullyTaken)
    }

    @Test func aStreamedUploadOfDeclaredLengthIsFullyTakenAtThatLength() {
        var m = Machine.fixture(streamsUpload: true, highWater: 64, announced: 6)
        _ = m.uploadRouted(.forward(a))
        Machine.send("abcdef", to: &m)
        #expect(readUpload(&m, max: 4) == .bytes(4))
        #expect(!m.uploadFullyTaken)
        #expect(readUpload(&m, max: 4) == .bytes(2))
        #expect(m.uploadFullyTaken, "curl does not ask again: the declared length is reached")
    }

    @Test func aStreamedUploadOfUnknownLengthIsFullyTakenOnceCompleteAndDrained() {
        var m = Machine.fixture(streamsUpload: true, highWater: 64, announced: -1)
        _ = m.uploadRouted(.forward(a))
        Machine.send("abc", to: &m)
        #expect(readUpload(&m, max: 8) == .bytes(3))
        #expect(!m.uploadFullyTaken, "more may come")
        _ = m.clientBodyComplete()
        #expect(m.uploadFullyTaken)
        #expect(readUpload(&m, max: 8) == .end)
    }

    @Test func nothingIsTakenWithoutARunningTransfer() {
        var m = Machine.fixture()
        #expect(!m.uploadFullyTaken)
        _ = m.clientLeft()
        #expect(!m.uploadFullyTaken)
    }

    // MARK: The transfer's pause

    @Test func aPauseLastsUntilCurlDeliversAgainAfterTheUnpause() {
        var m = Machine.fixture(highWater: 8)
        Machine.send("{}", to: &m)
        _ = m.clientBodyComplete()
        _ = m.routed(.forward(a), model: "m", changesHoldings: false)
        _ = m.upstreamHeadReceived(Machine.ndjsonHead, at: .now)
        _ = m.pollAnswer()
        #expect(!m.holdsAnswerPaused)
        #expect(receive(&m, "12345678") == .accepted)
        #expect(receive(&m, "9") == .pause)
        #expect(m.holdsAnswerPaused)
        // The reader drains to the low-water mark and asks for the unpause once.
        #expect(read(&m, max: 6).0 == .unpauseTransfer)
        #expect(m.holdsAnswerPaused, "curl is paused until the unpause reaches it")
        #expect(read(&m, max: 1).0 == .none, "one unpause, not one per read")
        #expect(receive(&m, "9") == .accepted)
        #expect(!m.holdsAnswerPaused)
    }

    @Test func anEndedTransferIsNotPaused() {
        var m = Machine.fixture(highWater: 4)
        _ = m.clientBodyComplete()
        _ = m.routed(.forward(a), model: "m", changesHoldings: false)
        _ = m.upstreamHeadReceived(Machine.ndjsonHead, at: .now)
        _ = m.pollAnswer()
        _ = receive(&m, "1234")
        #expect(receive(&m, "5") == .pause)
        _ = m.upstreamFinished(.idleTimedOut)
        #expect(!m.holdsAnswerPaused)
    }

    // MARK: An attempt's start carries its accounting

    @Test func aStartCountsTheAttemptAndHandsOverTheCountItReplaces() {
        var m = Machine.fixture(attempts: 2)
        Machine.send(#"{"model":"m"}"#, to: &m)
        _ = m.clientBodyComplete()
        var plan = RoutingPlan.forward(a, b)
        plan.scheduled = true
        guard case .startAttempt(let first) = m.routed(plan, model: "m", changesHoldings: false) else {
            Issue.record("expected a start"); return
        }
        #expect(first.replacedInFlight == nil)
        #expect(first.bodyLength == 13 && first.model == "m" && first.scheduled)
        #expect(m.facts.inFlight == RequestFacts.InFlight(endpoint: "a"))
        // A busy head is abandoned: the next attempt replaces the first one's count.
        guard case (.startAttempt(let second), .abandon) = m.upstreamHeadReceived(
            UpstreamHead(status: 503, headers: []), at: .now) else { Issue.record("expected a retry"); return }
        #expect(second.replacedInFlight == RequestFacts.InFlight(endpoint: "a"))
        #expect(m.facts.inFlight == RequestFacts.InFlight(endpoint: "b"))
        #expect(m.takeInFlight() == RequestFacts.InFlight(endpoint: "b"))
        #expect(m.takeInFlight() == nil)
    }

    /// Only the first attempt, on the instance the scheduler placed the request on, is
    /// `placed` (the scheduler counted it there already); a failover, a first attempt
    /// elsewhere and an unscheduled plan tell the scheduler.
    @Test func onlyTheFirstAttemptWhereTheSchedulerPlacedItIsPlaced() {
        for (placedOn, expected) in [("a", true), ("b", false), (nil, false)] as [(String?, Bool)] {
            var m = Machine.fixture(attempts: 2)
            Machine.send(#"{"model":"m"}"#, to: &m)
            _ = m.clientBodyComplete()
            var plan = RoutingPlan.forward(a, b)
            plan.scheduled = placedOn != nil
            plan.placedOn = placedOn
            guard case .startAttempt(let first) = m.routed(plan, model: "m", changesHoldings: false) else {
                Issue.record("expected a start"); return
            }
            #expect(first.placed == expected)
            guard case (.startAttempt(let second), .abandon) = m.upstreamHeadReceived(
                UpstreamHead(status: 503, headers: []), at: .now) else { Issue.record("expected a retry"); return }
            #expect(second.endpoint.name == "b" && !second.placed)
        }
    }
}
