/// The last bytes of a backend answer, where the token counts are (`RequestFacts.tail`): read
/// where they lie, in the answer's response queue, which keeps up to `RequestStateMachine`'s
/// `2 × tailSize` of them after they were sent (`ByteQueue.keepDrained`). A stream of chunks
/// thus costs no copy per chunk, only the queue's occasional move of what it keeps.
///
/// Once the backend's bytes end with an error record of Olla's (`ResponseBuffer.appendTrailer`)
/// the tail is copied out first (`freeze`): the record is not the backend's. The queue is
/// written only by its request's events under the exchange's lock, and by none once the
/// request finished, so a finished request's facts read it safely.
struct AnswerTail {
    private enum Source {
        case none
        case queue(ByteQueue, limit: Int)
        case copy([UInt8])
    }

    private var source = Source.none

    /// No bytes (no backend answer yet, or one that keeps no tail).
    init() {}

    /// The last `limit` bytes that go through `queue`, from now on.
    init(following queue: ByteQueue, limit: Int) {
        queue.keepDrained(limit)
        source = .queue(queue, limit: limit)
    }

    /// Whether no byte is kept.
    var isEmpty: Bool { withUnsafeBytes { $0.isEmpty } }

    /// Runs `body` on the kept bytes, oldest first.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch source {
        case .none: return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        case .queue(let queue, let limit): return try queue.withLastBytes(limit, body)
        case .copy(let bytes): return try bytes.withUnsafeBytes(body)
        }
    }

    /// The kept bytes, copied.
    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Stops following the queue: what it holds now is the tail for good.
    mutating func freeze() {
        if case .queue = source { source = .copy(bytes) }
    }
}
