import Testing
@testable import OllaCore
@testable import OllaEngine

/// `upstreamBodyReceived(_:sendChunk:)`: a chunk that finds the client suspended with nothing
/// queued before it is offered to the connection (`ClientConnection.sendChunk`, libmicrohttpd's
/// patch 0013). Sent whole, the client stays suspended; anything else goes the reader's way
/// (resume, read), with the bytes neither lost nor sent twice, in order, and counted once.
@Suite struct RequestStateMachineChunkSendTests {
    typealias Machine = RequestStateMachine

    private func streaming(highWater: Int = 1 << 20, keepsTail: Bool = false) -> Machine {
        var m = Machine.fixture(highWater: highWater, keepsTail: keepsTail)
        _ = m.clientBodyComplete()
        _ = m.routed(.forward(Machine.a), model: "m", changesHoldings: false)
        _ = m.upstreamHeadReceived(Machine.ndjsonHead, at: .now)
        _ = m.pollAnswer()
        return m
    }

    /// Records what it was offered and answers `outcome`.
    final class Connection {
        var offered: [String] = []
        var outcome: ChunkSend = .sent
        func send(_ bytes: UnsafeRawBufferPointer) -> ChunkSend {
            offered.append(String(decoding: bytes, as: UTF8.self))
            return outcome
        }
    }

    private func receive(_ m: inout Machine, _ text: String, _ connection: Connection) -> (Machine.Action, BodyAcceptance) {
        Array(text.utf8).withUnsafeBytes { m.upstreamBodyReceived($0, sendChunk: connection.send) }
    }

    private func read(_ m: inout Machine, max: Int = 64) -> (Machine.Action, Exchange.ResponseRead, String) {
        var buffer = [UInt8](repeating: 0, count: max)
        let (action, result) = buffer.withUnsafeMutableBytes { m.readResponse(into: $0, suspendingWhenDrained: true) }
        if case .bytes(let n) = result { return (action, result, String(decoding: buffer[..<n], as: UTF8.self)) }
        return (action, result, "")
    }

    /// A streaming machine whose client took everything and was suspended by the reader.
    private func idle(keepsTail: Bool = false, _ connection: Connection) -> Machine {
        var m = streaming(keepsTail: keepsTail)
        #expect(read(&m).1 == .suspended, "nothing yet: the reader suspends the client")
        #expect(connection.offered.isEmpty)
        return m
    }

    private func client(of m: Machine) -> Machine.Client? {
        guard case .answering(_, let client) = m.state else { return nil }
        return client
    }

    @Test func aWholeRecordForAnIdleClientIsSentAndTheClientStaysSuspended() {
        let connection = Connection()
        var m = idle(connection)
        #expect(receive(&m, "{\"a\":1}\n", connection) == (.none, .accepted))
        #expect(receive(&m, "{\"a\":2}\n", connection) == (.none, .accepted))
        #expect(connection.offered == ["{\"a\":1}\n", "{\"a\":2}\n"])
        #expect(client(of: m) == .suspended)
        #expect(m.facts.bytesSent == 16, "counted for the access log")
        // The end resumes the client as before, and the reader finds nothing left but the end.
        #expect(m.upstreamFinished(nil) == .resumeClient)
        #expect(read(&m).1 == .end)
        #expect(m.facts.bytesSent == 16)
    }

    @Test func theTailKeepsTheBytesSentAtOnce() {
        let connection = Connection()
        var m = idle(keepsTail: true, connection)
        _ = receive(&m, "{\"a\":1}\n", connection)
        _ = receive(&m, "{\"done\":true,\"eval_count\":3}\n", connection)
        _ = m.upstreamFinished(nil)
        #expect(String(decoding: m.facts.tail.bytes, as: UTF8.self) == "{\"a\":1}\n{\"done\":true,\"eval_count\":3}\n")
    }

    @Test func twoRecordsInOneChunkSendTheFirstAndResumeForTheSecond() {
        let connection = Connection()
        var m = idle(connection)
        #expect(receive(&m, "{\"a\":1}\n{\"a\":2}\n", connection).0 == .resumeClient)
        #expect(connection.offered == ["{\"a\":1}\n"], "one record per chunk, as the reader sends them")
        let next = read(&m)
        #expect(next.0 == .suspendClient && next.2 == "{\"a\":2}\n")
        #expect(m.facts.bytesSent == 16)
    }

    @Test func anIncompleteRecordIsNotOfferedAndGoesTheReadersWay() {
        let connection = Connection()
        var m = idle(connection)
        #expect(receive(&m, "{\"a\":", connection).0 == .resumeClient)
        #expect(connection.offered.isEmpty)
        #expect(read(&m).1 == .suspended)
        // The rest of it makes a whole record, but bytes were queued before: the reader's way.
        #expect(receive(&m, "1}\n", connection).0 == .resumeClient)
        #expect(connection.offered.isEmpty)
        #expect(read(&m).2 == "{\"a\":1}\n")
    }

    @Test func aChunkNotTakenStaysQueuedForTheReader() {
        let connection = Connection()
        connection.outcome = .notTaken
        var m = idle(connection)
        #expect(receive(&m, "{\"a\":1}\n", connection).0 == .resumeClient)
        #expect(connection.offered == ["{\"a\":1}\n"])
        #expect(m.facts.bytesSent == 0)
        let next = read(&m)
        #expect(next.2 == "{\"a\":1}\n" && next.0 == .suspendClient)
        #expect(m.facts.bytesSent == 8)
    }

    @Test func aChunkPartlySentIsTheConnectionsAndIsNotReadAgain() {
        let connection = Connection()
        connection.outcome = .buffered
        var m = idle(connection)
        #expect(receive(&m, "{\"a\":1}\n", connection).0 == .resumeClient, "resumed so the server sends the rest")
        #expect(m.facts.bytesSent == 8)
        #expect(read(&m).1 == .suspended, "nothing left for the reader: the chunk is not sent twice")
        connection.outcome = .sent
        #expect(receive(&m, "{\"a\":2}\n", connection).0 == .none)
        #expect(connection.offered == ["{\"a\":1}\n", "{\"a\":2}\n"])
    }

    @Test func aFlowingClientOrQueuedBytesAreNeverOffered() {
        let connection = Connection()
        var m = streaming()
        // Flowing: the reader has not suspended it yet.
        #expect(receive(&m, "{\"a\":1}\n", connection).0 == .none)
        #expect(connection.offered.isEmpty)
        _ = read(&m)  // empties the queue and suspends with the bytes (patch 0011)
        #expect(client(of: m) == .suspended)
        #expect(receive(&m, "{\"a\":2}\n", connection).0 == .none)
        #expect(connection.offered == ["{\"a\":2}\n"])
    }

    @Test func aPausedTransfersChunkIsNotOffered() {
        let connection = Connection()
        var m = streaming(highWater: 8)
        #expect(read(&m).1 == .suspended)
        connection.outcome = .notTaken
        #expect(receive(&m, "{\"a\":1}\n", connection).0 == .resumeClient)
        #expect(receive(&m, "{\"a\":2}\n", connection).1 == .pause)
        #expect(connection.offered == ["{\"a\":1}\n"])
    }

    @Test func beforeTheHeadIsQueuedNothingIsOffered() {
        let connection = Connection()
        var m = Machine.fixture(streamsUpload: true, highWater: 1 << 20)
        _ = m.uploadRouted(.forward(Machine.a))
        _ = m.pollAnswer()  // the client waits suspended while the upload runs
        _ = m.upstreamHeadReceived(Machine.ndjsonHead, at: .now)
        _ = receive(&m, "{\"a\":1}\n", connection)
        #expect(connection.offered.isEmpty)
    }
}
