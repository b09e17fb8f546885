import OllaCore

/// The backend's answer body between the curl loop and libmicrohttpd's reader: a bounded
/// queue, the record framing that decides how much goes out per read, and the error record
/// that ends a broken stream.
struct ResponseBuffer {
    var queue: ByteQueue
    /// Set for chunked NDJSON and SSE answers: each record goes out as one chunk.
    let framing: RecordFraming?
    /// The error record was appended; the stream can end properly.
    private(set) var trailerWritten = false
    /// Whether the transfer delivers into the queue, or was told to pause because it was full.
    var intake = Intake.open
    /// The last two bytes received (line feeds before any): where the stream broke.
    private var lastBytes: (UInt8, UInt8) = (0x0A, 0x0A)

    init(framing: RecordFraming?) {
        self.framing = framing
        queue = ByteQueue()
    }

    /// A backend answer's buffer: its queue's first `inlineCapacity` bytes of room come in the
    /// queue's own allocation (`ByteQueue.init(inlineCapacity:)`).
    init(backendAnswerFraming framing: RecordFraming?) {
        self.framing = framing
        queue = ByteQueue(inlineCapacity: Self.inlineCapacity)
    }

    /// Room for a small answer (the bench's is 297 bytes) with the queue's positions (64 bytes
    /// with the object's header) in one allocation of at most 1,024 bytes: glibc serves
    /// those from its per-thread cache. With 1,024 bytes of room the allocation was ~1,090
    /// bytes, past the cache, and cost more than the two it replaced.
    static let inlineCapacity = 960

    /// The transfer's side of the queue. The one record of a pause: the transport keeps none
    /// and asks (`TransferDelegate.holdsAnswerPaused`) before calling a paused backend idle.
    enum Intake {
        /// Body bytes are accepted.
        case open
        /// The queue was full: curl was told to pause and keeps the chunk it was offered.
        case paused
        /// The reader drained the queue and asked for an unpause; the pause lasts until curl
        /// delivers again (first the chunk it kept).
        case resuming
    }

    /// Queues a chunk from the backend.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        queue.append(bytes)
        if bytes.count >= 2 {
            lastBytes = (bytes[bytes.count - 2], bytes[bytes.count - 1])
        } else if let only = bytes.first {
            lastBytes = (lastBytes.1, only)
        }
    }

    /// How many queued bytes the reader may send now, into `room` bytes.
    ///
    /// Records are sent one per call, so one per HTTP chunk: the first complete record, or
    /// nothing while the first record is incomplete and the backend is still sending. A record
    /// longer than `room` (libmicrohttpd's buffer) is the pathological case and is split.
    /// A held final record (`holdsFinalRecord`) stays back while the transfer runs, unless the
    /// queue fills towards the high-water mark (`lowWater`).
    func sendableBytes(room: Int, running: Bool, holdsFinalRecord: Bool, lowWater: Int) -> Int {
        let available = queue.count
        guard available > 0, room > 0 else { return 0 }
        return queue.withUnsafeBytes { bytes -> Int in
            var limit = min(available, room)
            if holdsFinalRecord && running && available < lowWater {
                limit = min(limit, RecordFraming.endBeforeFinalLine(in: bytes))
                if limit == 0 { return 0 }
            }
            guard let framing else { return limit }
            if let end = framing.firstRecordEnd(in: UnsafeRawBufferPointer(rebasing: bytes[0..<min(available, room)])) {
                return min(end, limit)
            }
            // No whole record within reach: wait for the rest unless it cannot fit anyway.
            return running && available < room ? 0 : limit
        }
    }

    /// Offers the first whole record (what `sendableBytes` lets a reader send, however large)
    /// to `send`, and drops it from the queue if `send` took it (`.sent`, `.buffered`): the
    /// queue still keeps it for the tail (`ByteQueue.keepDrained`). Returns its length and
    /// the outcome; `(0, .notTaken)`, without a call, when no record is whole yet or a held
    /// final record stays back. For a running transfer whose client waits idle.
    mutating func sendFirstRecord(
        holdsFinalRecord: Bool, lowWater: Int, through send: (UnsafeRawBufferPointer) -> ChunkSend
    ) -> (Int, ChunkSend) {
        let n = sendableBytes(room: .max, running: true, holdsFinalRecord: holdsFinalRecord, lowWater: lowWater)
        guard n > 0 else { return (0, .notTaken) }
        let sent = queue.withUnsafeBytes { send(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
        if case .notTaken = sent { return (n, sent) }
        queue.drop(n)
        return (n, sent)
    }

    /// Ends a chunked stream with `error` in the stream's own framing (an NDJSON line or an
    /// SSE error event), once. A body of known length gets nothing: it is cut instead.
    mutating func appendTrailer(_ error: ProxyError, facts: RequestFacts, flavor: APIFlavor) {
        let sequenceNumber = flavor == .openAIResponses
            ? TokenScanner.lastSequenceNumber(in: facts.tail.bytes).map { $0 + 1 } : nil
        guard facts.responseChunked, !trailerWritten, let trailer = error.streamTrailer(
            contentType: facts.responseContentType, flavor: flavor, sequenceNumber: sequenceNumber) else {
            return
        }
        queue.append(separator(contentType: facts.responseContentType) + trailer)
        trailerWritten = true
    }

    /// What ends the record the backend was writing when the stream broke. A partial SSE event
    /// or NDJSON line cannot be taken back, but it must not swallow the error record after it.
    private func separator(contentType: String?) -> String {
        let lineFeed: UInt8 = 0x0A
        let isSSE = contentType?.lowercased().contains("text/event-stream") ?? false
        if lastBytes.1 != lineFeed { return isSSE ? "\n\n" : "\n" }
        return isSSE && lastBytes.0 != lineFeed ? "\n" : ""
    }
}
