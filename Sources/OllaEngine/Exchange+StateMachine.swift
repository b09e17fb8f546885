import OllaCore

/// The life of one proxied request, as pure state: no locks, no sockets, no clocks.
///
/// Three things move independently and meet here:
/// - the client's body (`bodyComplete`), uploaded over several server callbacks;
/// - the backend transfer (`upstream`), driven by the curl loop;
/// - the answer to the client (`answer`): nothing yet, a head or an error to queue, then sent.
///
/// Every event returns what the owner must do. Client suspend/resume is returned as
/// `ClientAction` and must be carried out under the same lock as the event (the
/// `clientSuspended` flag and libmicrohttpd's state must never drift apart). Upstream commands
/// are returned as `UpstreamAction` and run after the lock is released.
struct ExchangeStateMachine {
    enum Answer {
        /// Nothing from the backend yet.
        case pending
        /// The backend's head is known and waits for the server to queue it.
        case head(UpstreamHead)
        /// Olla answers itself (no head will come).
        case error(ProxyError)
        /// Olla answers with a response it composed (a fan-out's merged answer).
        case local(LocalResponse)
        /// The response is queued; only body bytes remain.
        case sent
    }

    enum Upstream: Equatable {
        case idle
        case running
        case finished
        case failed(UpstreamFailure)
        case cancelled
    }

    enum ClientAction: Equatable { case none, suspend, resume }
    enum UpstreamAction: Equatable { case none, start(attempt: Int), cancel, unpause }

    struct Actions: Equatable {
        var client: ClientAction = .none
        var upstream: UpstreamAction = .none
        static let none = Actions()
    }

    /// What the server should do when it polls for the answer.
    enum Poll {
        case respond(UpstreamHead)
        case respondComplete(UpstreamHead, [UInt8])
        case respondLocal(LocalResponse)
        case respondError(ProxyError)
        case wait
    }

    /// What the response reader got.
    enum Read: Equatable {
        case bytes(Int)
        /// Nothing buffered yet: the client was suspended until bytes arrive.
        case suspended
        case end
        /// The body cannot be completed: close without the terminating chunk.
        case abort
    }

    let streamsUpload: Bool
    let highWater: Int
    private(set) var maxAttempts: Int
    let maxBodySize: Int64

    private(set) var answer: Answer = .pending
    private(set) var upstream: Upstream = .idle
    private(set) var bodyComplete = false
    private(set) var clientSuspended = false
    private(set) var clientGone = false
    private(set) var attempt = 0
    private(set) var bytesSent: Int64 = 0
    private(set) var uploadReceived: Int64 = 0
    /// Bytes of the request body that curl has taken in the current attempt.
    private(set) var uploadTaken: Int64 = 0
    private(set) var status: Int? = nil

    private var response = ByteQueue()
    private var upload = ByteQueue()
    private var responseChunked = true
    private var responseContentType: String? = nil
    /// Set for chunked NDJSON and SSE responses: each record goes out as one chunk.
    private var responseFraming: RecordFraming? = nil
    /// A call that changes what an instance holds keeps its last line back until the
    /// catalogue shows the change (`holdFinalRecord()`; the owner delays `upstreamFinished`).
    private(set) var holdsFinalRecord = false
    private var trailerWritten = false
    private var receivePaused = false
    private var sendPaused = false

    /// Inference answers keep their last bytes, where the token counts are.
    let keepsTail: Bool
    private var tail: [UInt8] = []
    static let tailSize = 4096

    /// The last two response bytes received (line feeds before any): where the stream broke.
    private var lastBytes: (UInt8, UInt8) = (0x0A, 0x0A)

    /// The API family of the route: it frames the error event that ends a broken stream.
    let flavor: APIFlavor

    init(streamsUpload: Bool, highWater: Int, maxAttempts: Int, maxBodySize: Int64, keepsTail: Bool = false,
         flavor: APIFlavor = .native) {
        self.keepsTail = keepsTail
        self.flavor = flavor
        self.streamsUpload = streamsUpload
        self.highWater = highWater
        self.maxAttempts = max(1, maxAttempts)
        self.maxBodySize = maxBodySize
    }

    private var lowWater: Int { highWater / 2 }

    // MARK: Client body

    /// A streamed upload starts its transfer at once, before the body has arrived.
    mutating func requestHeadReceived() -> Actions {
        guard streamsUpload else { return .none }
        upstream = .running
        return Actions(upstream: .start(attempt: 0))
    }

    /// How many candidates the routing plan offers; set before the first attempt starts.
    mutating func setCandidateCount(_ count: Int) {
        maxAttempts = max(1, min(maxAttempts, count))
    }

    /// Routing (or a limit) decided that Olla answers itself; no transfer will run.
    mutating func answerLocally(_ error: ProxyError) -> Actions {
        guard case .pending = answer else { return .none }
        answer = .error(error)
        if upstream == .running { upstream = .failed(.transferFailed(error.message)) }
        return wakeClientWaitingForResponse()
    }

    /// A request held in Olla's queue may start now (late binding). Nothing starts when the
    /// client left or Olla already answered; the caller then gives the slot back.
    mutating func heldRequestReleased() -> Actions {
        guard !clientGone, case .pending = answer, upstream == .idle, bodyComplete else { return .none }
        upstream = .running
        return Actions(upstream: .start(attempt: 0))
    }

    /// A fan-out runs on the fetcher instead of one transfer.
    mutating func fanOutStarted() {
        upstream = .running
    }

    mutating func fanOutFinished(_ response: LocalResponse) -> Actions {
        guard upstream == .running else { return .none }
        upstream = .finished
        guard !clientGone, case .pending = answer else { return .none }
        answer = .local(response)
        return wakeClientWaitingForResponse()
    }

    /// Bytes of the client's body. Returns an error when the body exceeds the limit.
    mutating func clientBodyReceived(_ bytes: UnsafeRawBufferPointer) -> (Actions, ProxyError?) {
        uploadReceived += Int64(bytes.count)
        if maxBodySize > 0 && uploadReceived > maxBodySize {
            let error = ProxyError(.payloadTooLarge, "request body exceeds the limit of \(maxBodySize) bytes")
            var actions = Actions.none
            if upstream == .running { upstream = .cancelled; actions.upstream = .cancel }
            answer = .sent
            status = error.status
            return (actions, error)
        }
        guard streamsUpload else {
            upload.append(bytes)
            return (.none, nil)
        }
        guard upstream == .running else { return (.none, nil) }  // backend gone: discard
        upload.append(bytes)
        var actions = Actions.none
        if sendPaused { sendPaused = false; actions.upstream = .unpause }
        if upload.count >= highWater && !clientSuspended {
            clientSuspended = true
            actions.client = .suspend
        }
        return (actions, nil)
    }

    /// The client's body is complete: a buffered request starts its first attempt now.
    mutating func clientBodyComplete(startTransfer: Bool = true) -> Actions {
        bodyComplete = true
        var actions = Actions.none
        if !streamsUpload && startTransfer && upstream == .idle {
            upstream = .running
            actions.upstream = .start(attempt: 0)
        } else if sendPaused {
            sendPaused = false
            actions.upstream = .unpause
        }
        return actions
    }

    /// The server asks whether it can answer now; if not, the client waits suspended.
    mutating func pollAnswer() -> (Actions, Poll) {
        if clientGone {
            // Resumed only so the server can release the connection: never suspend again.
            answer = .sent
            return (.none, .respondError(ProxyError(.badRequest, "client closed the connection")))
        }
        switch answer {
        case .head(let head):
            answer = .sent
            status = head.status
            if upstream == .finished, let length = head.contentLength, length == UInt64(response.count) {
                // The whole answer is already here (the usual case for small replies): send it
                // as one buffer, head and body in one write, without a reader round trip.
                var body = [UInt8](repeating: 0, count: Int(length))
                _ = body.withUnsafeMutableBytes { response.drain(into: $0) }
                bytesSent += Int64(length)
                return (.none, .respondComplete(head, body))
            }
            return (.none, .respond(head))
        case .error(let error):
            answer = .sent
            status = error.status
            return (.none, .respondError(error))
        case .local(let response):
            answer = .sent
            status = response.status
            return (.none, .respondLocal(response))
        case .pending, .sent:
            if clientSuspended { return (.none, .wait) }
            clientSuspended = true
            return (Actions(client: .suspend), .wait)
        }
    }

    // MARK: Backend events

    /// Statuses that mean "this instance cannot take it now" (Ollama's queue is full, or a
    /// rate limit): another instance can, so they are retried before anything reaches the client.
    static let retriableStatuses: Set<Int> = [429, 503]

    mutating func upstreamHeadReceived(_ head: UpstreamHead) -> (Actions, HeadDisposition) {
        guard !clientGone, case .pending = answer else { return (.none, .accept) }
        if Self.retriableStatuses.contains(head.status), canRetry {
            attempt += 1
            uploadTaken = 0
            return (Actions(upstream: .start(attempt: attempt)), .abandon)
        }
        answer = .head(head)
        responseChunked = head.contentLength == nil
        responseContentType = HeaderRules.value(of: "content-type", in: head.headers)
        responseFraming = responseChunked ? RecordFraming(contentType: responseContentType) : nil
        return (wakeClientWaitingForResponse(), .accept)
    }

    /// Whether another attempt may start: attempts left, the body can be replayed, someone waits.
    private var canRetry: Bool {
        let canReplay = !streamsUpload || uploadTaken == 0
        return canReplay && attempt + 1 < maxAttempts && !clientGone
    }

    mutating func upstreamBodyReceived(_ bytes: UnsafeRawBufferPointer) -> (Actions, BodyAcceptance) {
        if clientGone { return (.none, .accepted) }
        if response.count >= highWater {
            receivePaused = true
            return (.none, .pause)
        }
        response.append(bytes)
        if keepsTail { keepTail(bytes) }
        if bytes.count >= 2 {
            lastBytes = (bytes[bytes.count - 2], bytes[bytes.count - 1])
        } else if let only = bytes.first {
            lastBytes = (lastBytes.1, only)
        }
        return (wakeClientWaitingForResponse(), .accepted)
    }

    /// The transfer ended; `endpoint` names the instance in the error the client gets, so a
    /// client of a fleet can tell which instance failed and why.
    mutating func upstreamFinished(_ failure: UpstreamFailure?, endpoint: String? = nil) -> Actions {
        guard upstream == .running else { return .none }
        guard let failure else {
            upstream = .finished
            if case .pending = answer {
                answer = .error(ProxyError(.badGateway, "backend closed the connection without a response"))
            }
            return wakeClientWaitingForResponse()
        }
        if case .pending = answer {
            if failure.isConnectFailure && canRetry {
                attempt += 1
                uploadTaken = 0
                return Actions(upstream: .start(attempt: attempt))
            }
            upstream = .failed(failure)
            answer = .error(Self.proxyError(for: failure, endpoint: endpoint))
            return wakeClientWaitingForResponse()
        }
        upstream = .failed(failure)
        appendTrailer(ProxyError(.badGateway, Self.describe(failure, endpoint: endpoint)))
        return wakeClientWaitingForResponse()
    }

    /// Ends a stream that is still running because the daemon is shutting down.
    mutating func terminate(reason: String) -> Actions {
        guard upstream == .running else { return .none }
        upstream = .failed(.transferFailed(reason))
        var actions = Actions(upstream: .cancel)
        if case .pending = answer {
            answer = .error(ProxyError(.serviceUnavailable, reason))
        } else {
            appendTrailer(ProxyError(.serviceUnavailable, reason))
        }
        actions.client = wakeClientWaitingForResponse().client
        return actions
    }

    // MARK: Transfers of bytes

    /// Fills the server's buffer with response bytes.
    mutating func readResponse(into destination: UnsafeMutableRawBufferPointer) -> (Actions, Read) {
        if clientGone { return (.none, .abort) }
        let limit = sendableBytes(room: destination.count)
        let n = limit == 0 ? 0 : response.drain(into: UnsafeMutableRawBufferPointer(rebasing: destination[0..<limit]))
        if n > 0 {
            bytesSent += Int64(n)
            var actions = Actions.none
            if receivePaused && response.count <= lowWater {
                receivePaused = false
                actions.upstream = .unpause
            }
            return (actions, .bytes(n))
        }
        switch upstream {
        case .finished:
            return (.none, .end)
        case .failed, .cancelled:
            return (.none, trailerWritten ? .end : .abort)
        case .idle, .running:
            if clientGone { return (.none, .abort) }
            clientSuspended = true
            return (Actions(client: .suspend), .suspended)
        }
    }

    /// Keeps this exchange's last line back until `upstreamFinished` (see `holdsFinalRecord`).
    mutating func holdFinalRecord() {
        holdsFinalRecord = true
    }

    /// How many queued bytes the reader may send now, into `room` bytes.
    ///
    /// Records are sent one per call, so one per HTTP chunk: the first complete record, or
    /// nothing while the first record is incomplete and the backend is still sending. A record
    /// longer than `room` (libmicrohttpd's buffer) is the pathological case and is split.
    /// A held final record (`holdsFinalRecord`) stays back while the transfer runs, unless the
    /// queue fills towards the high-water mark.
    private func sendableBytes(room: Int) -> Int {
        let available = response.count
        guard available > 0, room > 0 else { return 0 }
        let running = upstream == .running || upstream == .idle
        return response.withUnsafeBytes { bytes -> Int in
            var limit = min(available, room)
            if holdsFinalRecord && running && available < lowWater {
                limit = min(limit, RecordFraming.endBeforeFinalLine(in: bytes))
                if limit == 0 { return 0 }
            }
            guard let framing = responseFraming else { return limit }
            if let end = framing.firstRecordEnd(in: UnsafeRawBufferPointer(rebasing: bytes[0..<min(available, room)])) {
                return min(end, limit)
            }
            // No whole record within reach: wait for the rest unless it cannot fit anyway.
            return running && available < room ? 0 : limit
        }
    }

    /// Hands request-body bytes to the backend transfer.
    mutating func readUpload(into destination: UnsafeMutableRawBufferPointer) -> (Actions, UploadRead) {
        if !streamsUpload {
            let n = upload.peek(at: Int(uploadTaken), into: destination)
            uploadTaken += Int64(n)
            return (.none, n > 0 ? .bytes(n) : .end)
        }
        let n = upload.drain(into: destination)
        if n > 0 {
            uploadTaken += Int64(n)
            var actions = Actions.none
            if clientSuspended && !bodyComplete && upload.count <= lowWater {
                clientSuspended = false
                actions.client = .resume
            }
            return (actions, .bytes(n))
        }
        if bodyComplete { return (.none, .end) }
        sendPaused = true
        return (.none, .pause)
    }

    // MARK: Client going away

    /// The client hung up or its connection failed: stop the backend at once.
    mutating func clientWentAway() -> Actions {
        guard !clientGone else { return .none }
        clientGone = true
        var actions = Actions.none
        if upstream == .running {
            upstream = .cancelled
            actions.upstream = .cancel
        }
        if clientSuspended {
            // Resuming lets the server notice the dead socket and release the connection.
            clientSuspended = false
            actions.client = .resume
        }
        return actions
    }

    /// The server is done with the connection (response sent, or the client is gone).
    mutating func clientCompleted(successfully: Bool) -> Actions {
        if !successfully { return clientWentAway() }
        if upstream == .running {
            // A complete response with a transfer still running: HEAD, or an early error.
            upstream = .cancelled
            return Actions(upstream: .cancel)
        }
        return .none
    }

    /// The buffered request body, for reading the model name.
    func withUploadBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        upload.withUnsafeBytes(body)
    }



    // MARK: Helpers

    /// The last `tailSize` bytes of the answer, trimmed in batches so a stream of small
    /// chunks costs a copy of each chunk and an occasional shift.
    private mutating func keepTail(_ bytes: UnsafeRawBufferPointer) {
        tail.append(contentsOf: bytes.count > Self.tailSize ? UnsafeRawBufferPointer(rebasing: bytes.suffix(Self.tailSize)) : bytes)
        if tail.count > 2 * Self.tailSize { tail.removeFirst(tail.count - Self.tailSize) }
    }

    var tailBytes: [UInt8] { tail.count > Self.tailSize ? Array(tail.suffix(Self.tailSize)) : tail }

    /// Resumes a client that waits for the answer or for body bytes. A client held back by
    /// upload backpressure is also released once no transfer is left to take its bytes.
    private mutating func wakeClientWaitingForResponse() -> Actions {
        guard clientSuspended && (bodyComplete || upstream != .running) else { return .none }
        clientSuspended = false
        return Actions(client: .resume)
    }

    private mutating func appendTrailer(_ error: ProxyError) {
        guard responseChunked, !trailerWritten, let trailer = error.streamTrailer(
            contentType: responseContentType, flavor: flavor,
            sequenceNumber: flavor == .openAIResponses ? TokenScanner.lastSequenceNumber(in: tail).map { $0 + 1 } : nil) else {
            return
        }
        response.append(trailerSeparator + trailer)
        trailerWritten = true
    }

    /// Whether the answer is a stream of records (SSE or NDJSON) rather than one document.
    var respondedWithStream: Bool {
        let type = responseContentType?.lowercased() ?? ""
        return responseChunked && (type.contains("text/event-stream") || type.contains("ndjson"))
    }

    /// What ends the record the backend was writing when the stream broke. A partial SSE event
    /// or NDJSON line cannot be taken back, but it must not swallow the error record after it.
    private var trailerSeparator: String {
        let lineFeed: UInt8 = 0x0A
        let isSSE = responseContentType?.lowercased().contains("text/event-stream") ?? false
        if lastBytes.1 != lineFeed { return isSSE ? "\n\n" : "\n" }
        return isSSE && lastBytes.0 != lineFeed ? "\n" : ""
    }

    static func proxyError(for failure: UpstreamFailure, endpoint: String? = nil) -> ProxyError {
        let message = describe(failure, endpoint: endpoint)
        switch failure {
        case .connectFailed, .transferFailed, .refused: return ProxyError(.badGateway, message)
        case .connectTimedOut, .firstByteTimedOut, .idleTimedOut: return ProxyError(.gatewayTimeout, message)
        }
    }

    /// The failure as the client reads it: `instance NAME: REASON` when the instance is known.
    static func describe(_ failure: UpstreamFailure, endpoint: String?) -> String {
        guard let endpoint, !endpoint.isEmpty, endpoint != "-" else { return failure.message }
        return "instance \(endpoint): \(failure.message)"
    }
}
