import OllaCore

/// Events from routing, the scheduler, the backend transfer and the engine.
extension RequestStateMachine {
    // MARK: Routing

    /// A streamed upload was routed at its head: the first attempt starts before any body
    /// byte, or Olla answers and drops the body as it comes.
    mutating func uploadRouted(_ plan: RoutingPlan) -> Action {
        guard case .awaitingUploadRoute = state else { impossible("uploadRouted") }
        facts.plan = plan
        switch plan.target {
        case .forward(let candidates) where !candidates.isEmpty:
            return startFirstAttempt(candidates, upload: .streamed(StreamedUpload()), client: .flowing)
        case .reject(let error, _):
            return answer(.error(error), client: .flowing)
        case .forward, .fanOut, .hold:
            return answer(.error(ProxyError(.badRequest, "uploads go to one instance")), client: .flowing)
        }
    }

    /// The router's plan for a buffered request (`Action.route`). `changesHoldings`: the
    /// request changes what an instance holds, so its last line waits for the catalogue.
    mutating func routed(_ plan: RoutingPlan, model: String?, changesHoldings: Bool) -> Action {
        switch state {
        case .routing:
            // Every path below sets the next state: the body is moved out, not copied (a
            // binding copied the state three times over, ~0.25 K per request).
            guard case .routing(let body) = takeState() else { preconditionFailure() }
            facts.plan = plan
            facts.model = model
            facts.changesHoldings = changesHoldings
            switch plan.target {
            case .forward(let candidates) where candidates.isEmpty:
                return answer(.error(ProxyError(.serviceUnavailable, "no instance can take this request")), client: .flowing)
            case .forward(let candidates):
                return startFirstAttempt(candidates, upload: .buffered(body, taken: 0), client: .flowing)
            case .fanOut(let targets):
                facts.fanOutTargets = targets
                putState(.fanningOut(.flowing))
                return .startFanOut(targets, body)
            case .reject(let error, _):
                return answer(.error(error), client: .flowing)
            case .hold(let model):
                putState(.held(body, .flowing))
                return .hold(model: model)
            }
        case .finished:
            return .none  // the client left while the request was routed
        default:
            impossible("routed")
        }
    }

    // MARK: The scheduler's hold queue

    /// An instance can start the held request now (`plan`: the scheduler's placement). No
    /// attempt starts once the client left; the owner then gives the slot back.
    mutating func heldRequestReleased(_ plan: RoutingPlan) -> Action {
        switch state {
        case .held(let body, let client):
            facts.plan = plan
            guard case .forward(let candidates) = plan.target, !candidates.isEmpty else {
                return answer(.error(ProxyError(.serviceUnavailable, "no instance can take this request")), client: client)
            }
            return startFirstAttempt(candidates, upload: .buffered(body, taken: 0), client: client)
        case .finished, .answering:
            facts.plan = plan
            return .none
        default:
            impossible("heldRequestReleased")
        }
    }

    /// The scheduler gives up on a held request: Olla answers `error` with a `Retry-After`.
    mutating func heldRequestRefused(_ error: ProxyError, retryAfterSeconds: Int) -> Action {
        switch state {
        case .held(_, let client):
            recordRefusal(error, retryAfterSeconds)
            return answer(.error(error), client: client)
        case .finished, .answering:
            recordRefusal(error, retryAfterSeconds)
            return .none
        default:
            impossible("heldRequestRefused")
        }
    }

    private mutating func recordRefusal(_ error: ProxyError, _ retryAfterSeconds: Int) {
        facts.plan?.target = .reject(error, retryAfterSeconds: retryAfterSeconds)
        facts.plan?.decision = .rejected
    }

    // MARK: The backend transfer

    /// The backend's head. A busy answer (`RetryPolicy.retries(status:)`) moves on to the next
    /// candidate while one is left (`.abandon`); any other head becomes the answer.
    mutating func upstreamHeadReceived(_ head: UpstreamHead, at now: RequestTime) -> (Action, HeadDisposition) {
        switch state {
        case .connecting:
            // Every path below sets the next state: the attempt is moved out, not copied.
            guard case .connecting(let attempt, let client) = takeState() else { preconditionFailure() }
            facts.headAt = now
            facts.upstreamStatus = head.status
            if RetryPolicy.retries(status: head.status), hasAttemptLeft(after: attempt) {
                return (start(attempt.next, client: client), .abandon)
            }
            facts.responseChunked = head.contentLength == nil
            facts.responseContentType = HeaderRules.value(of: "content-type", in: head.headers)
            let framing = facts.responseChunked ? RecordFraming(contentType: facts.responseContentType) : nil
            let response = ResponseBuffer(backendAnswerFraming: framing)
            if limits.keepsTail { facts.tail = AnswerTail(following: response.queue, limit: 2 * Self.tailSize) }
            let answer = Answer(head: .backend(head), transfer: .running(attempt.upload), response: response)
            return (enterAnswering(answer, client: client), .accept)
        case .answering(let answer, _) where !answer.transferRunning:
            // Sent before the cancel reached the loop: recorded, then dropped.
            facts.headAt = now
            facts.upstreamStatus = head.status
            return (.none, .accept)
        case .finished:
            facts.headAt = now
            facts.upstreamStatus = head.status
            return (.none, .accept)
        default:
            impossible("upstreamHeadReceived")
        }
    }

    /// A chunk of the backend's answer. A full queue pauses the transfer (`.pause`: curl keeps
    /// the chunk and offers it again after `unpauseTransfer`).
    ///
    /// A chunk that finds the client suspended with nothing queued before it (it took every
    /// chunk so far, and the server's reader suspended it for want of more) is offered to
    /// `sendChunk` (`ClientConnection.sendChunk`): sent at once, it leaves the client
    /// suspended, with no resume, no run of the server and no reader call. The bytes still
    /// pass through the queue (appended, then dropped once taken), so the answer's tail
    /// (`AnswerTail`) and the error record's separator see them as before; what is not taken
    /// goes the usual way (resume, reader).
    mutating func upstreamBodyReceived(
        _ bytes: UnsafeRawBufferPointer, sendChunk: (UnsafeRawBufferPointer) -> ChunkSend = { _ in .notTaken }
    ) -> (Action, BodyAcceptance) {
        switch state {
        case .answering:
            // Once per chunk: the answer is changed in place (a reference). Moved out and back,
            // not bound by the `switch`: a binding copies the payload (a retain and a release
            // of the answer, and outlined copies of the state, per chunk).
            guard case .answering(let answer, var client) = takeState() else { preconditionFailure() }
            defer { putState(.answering(answer, client)) }
            guard answer.transferRunning else { return (.none, .accepted) }  // cancelled: dropped
            let queued = answer.response.queue.count
            if queued >= limits.highWater {
                answer.response.intake = .paused
                return (.none, .pause)
            }
            answer.response.intake = .open
            answer.response.append(bytes)  // the tail too (`AnswerTail`)
            guard client == .suspended, answer.wakesSuspendedClient else { return (.none, .accepted) }
            if queued == 0, answer.headQueued, sendQueued(answer, count: bytes.count, through: sendChunk) {
                return (.none, .accepted)
            }
            client = .flowing
            return (.resumeClient, .accepted)
        case .finished:
            return (.none, .accepted)
        default:
            impossible("upstreamBodyReceived")
        }
    }

    /// Offers the queued bytes a suspended, idle client is owed (the first whole record, as the
    /// reader would send it) to `sendChunk`; counts and drops what it took. True when it sent
    /// them and nothing is left, so the client stays suspended; false when the client must be
    /// resumed: nothing whole to send yet (a record still incomplete, a held final record),
    /// not taken, not all sent, or more records queued behind the one sent.
    /// `count`: the bytes queued (the chunk just appended to an empty queue).
    private mutating func sendQueued(
        _ answer: Answer, count: Int, through sendChunk: (UnsafeRawBufferPointer) -> ChunkSend
    ) -> Bool {
        // One in-place call on the answer's buffer: reading the queue through the answer
        // once per step copied the buffer out (a retain and a release of its storage each).
        let (n, sent) = answer.response.sendFirstRecord(
            holdsFinalRecord: facts.changesHoldings, lowWater: limits.lowWater, through: sendChunk)
        switch sent {
        case .notTaken:
            return false
        case .sent, .buffered:
            facts.bytesSent += Int64(n)
            return sent == .sent && n == count
        }
    }

    /// The transfer ended. Before a head, a connect failure moves on to the next candidate
    /// while one is left, anything else is the answer (502/504 naming the instance); after
    /// the head, a failure ends the stream with an error record in its own framing.
    mutating func upstreamFinished(_ failure: UpstreamFailure?) -> Action {
        let endpoint = facts.endpoint?.name
        switch state {
        case .connecting:
            // Every path below sets the next state: the attempt is moved out, not copied.
            guard case .connecting(let attempt, let client) = takeState() else { preconditionFailure() }
            guard let failure else {
                let error = ProxyError(.badGateway, "backend closed the connection without a response")
                return enterAnswering(Answer(head: .error(error), transfer: .finished, response: ResponseBuffer(framing: nil)),
                                      client: client)
            }
            if RetryPolicy.retries(failure), hasAttemptLeft(after: attempt) {
                return start(attempt.next, client: client)
            }
            let error = RetryPolicy.error(for: failure, endpoint: endpoint)
            return enterAnswering(Answer(head: .error(error), transfer: .failed(failure), response: ResponseBuffer(framing: nil)),
                                  client: client)
        case .answering:
            // Moved out and back, not bound by the `switch` (a copy of the state each way).
            guard case .answering(let answer, let client) = takeState() else { preconditionFailure() }
            guard answer.transferRunning else {
                putState(.answering(answer, client))
                return .none
            }
            if let failure {
                answer.transfer = .failed(failure)
                facts.tail.freeze()
                answer.response.appendTrailer(ProxyError(.badGateway, RetryPolicy.describe(failure, endpoint: endpoint)),
                                              facts: facts, flavor: limits.flavor)
            } else {
                answer.transfer = .finished
            }
            return enterAnswering(answer, client: client)
        case .finished:
            return .none
        default:
            impossible("upstreamFinished")
        }
    }

    /// curl asks for request-body bytes. A buffered body is read from where this attempt got
    /// to; a streamed one drains its queue, and curl pauses when it is empty.
    mutating func readUpload(into destination: UnsafeMutableRawBufferPointer) -> (Action, UploadRead) {
        switch state {
        case .connecting(var attempt, let client):
            state = .modifying
            let (action, read) = take(from: &attempt.upload, into: destination, client: client)
            putState(.connecting(attempt, action.client ?? client))
            return (action, read)
        case .answering(let answer, let client):
            guard let (action, read) = answer.withRunningUpload({ take(from: &$0, into: destination, client: client) }) else {
                state = .answering(answer, client)
                return (.none, .pause)  // cancelled: the cancel is on its way
            }
            state = .answering(answer, action.client ?? client)
            return (action, read)
        case .finished:
            return (.none, .pause)
        default:
            impossible("readUpload")
        }
    }

    private func take(from upload: inout Upload, into destination: UnsafeMutableRawBufferPointer,
                      client: Client) -> (Action, UploadRead) {
        switch upload {
        case .buffered(let body, let taken):
            let n = min(destination.count, body.count - taken)
            guard n > 0 else { return (.none, .end) }
            body.bytes.withUnsafeBytes { source in
                destination.baseAddress!.copyMemory(from: source.baseAddress! + taken, byteCount: n)
            }
            upload = .buffered(body, taken: taken + n)
            return (.none, .bytes(n))
        case .streamed:
            let lowWater = limits.lowWater
            return upload.withStreamed { upload -> (Action, UploadRead) in
                let n = upload.queue.drain(into: destination)
                if n > 0 {
                    upload.taken += Int64(n)
                    let resume = client == .suspended && !upload.complete && upload.queue.count <= lowWater
                    return (resume ? .resumeClient : .none, .bytes(n))
                }
                if upload.complete { return (.none, .end) }
                upload.transferWaiting = true
                return (.none, .pause)
            }!
        }
    }

    // MARK: Fan-out and shutdown

    /// Every target of a fan-out answered; `response` is the merged answer.
    mutating func fanOutFinished(_ response: LocalResponse) -> Action {
        switch state {
        case .fanningOut(let client):
            return enterAnswering(Answer(head: .local(response), transfer: .finished, response: ResponseBuffer(framing: nil)),
                                  client: client)
        case .answering(let answer, _) where !answer.transferRunning:
            return .none  // ended by shutdown
        case .finished:
            return .none  // the client left
        default:
            impossible("fanOutFinished")
        }
    }

    /// The daemon's shutdown deadline passed: a request still running ends with a 503, or
    /// with an error record when its head is out. Any other request is left alone.
    mutating func terminate(reason: String) -> Action {
        let failure = UpstreamFailure.transferFailed(reason)
        let error = ProxyError(.serviceUnavailable, reason)
        switch state {
        case .connecting(_, let client), .fanningOut(let client):
            _ = enterAnswering(Answer(head: .error(error), transfer: .failed(failure), response: ResponseBuffer(framing: nil)),
                               client: .flowing)
            return client == .suspended ? .cancelTransferAndResumeClient : .cancelTransfer
        case .answering(let answer, let client) where answer.transferRunning:
            answer.transfer = .failed(failure)
            facts.tail.freeze()
            answer.response.appendTrailer(error, facts: facts, flavor: limits.flavor)
            state = .answering(answer, .flowing)
            return client == .suspended ? .cancelTransferAndResumeClient : .cancelTransfer
        case .modifying:
            impossible("terminate")
        default:
            return .none
        }
    }

    // MARK: Helpers

    /// How many bytes of the answer's end are kept for token counts.
    static let tailSize = 4096

    private func hasAttemptLeft(after attempt: Attempt) -> Bool {
        RetryPolicy.hasAttemptLeft(after: attempt.index, of: attempt.maxAttempts,
                                   bodyTaken: attempt.upload.taken, streamed: limits.streamsUpload)
    }

    private mutating func startFirstAttempt(_ candidates: [EndpointTarget], upload: Upload, client: Client) -> Action {
        let maxAttempts = RetryPolicy.maxAttempts(configured: limits.maxAttempts, candidates: candidates.count)
        return start(Attempt(index: 0, candidates: candidates, maxAttempts: maxAttempts, upload: upload), client: client)
    }

    /// Starts `attempt`: the request now counts as in flight on its instance, in place of any
    /// count an abandoned attempt left (the owner ends that one with the start).
    /// `attempt` is taken, not copied: it becomes the state (a copy of it was made for the
    /// state and the argument destroyed).
    private mutating func start(_ attempt: consuming Attempt, client: Client) -> Action {
        let endpoint = attempt.endpoint
        facts.endpoint = endpoint
        let replaced = facts.inFlight
        facts.inFlight = RequestFacts.InFlight(endpoint: endpoint.name, slot: endpoint.slot)
        var body: RequestBody? = nil
        if case .buffered(let buffered, _) = attempt.upload { body = buffered }
        let index = attempt.index
        state = .connecting(attempt, client)
        return .startAttempt(Action.Start(
            index: index, endpoint: endpoint, body: body, replacedInFlight: replaced,
            bodyLength: facts.bodyLength, model: facts.model, scheduled: facts.plan?.scheduled ?? false,
            placed: index == 0 && facts.plan?.placedOn == endpoint.name))
    }

    /// Olla answers itself; no transfer runs.
    private mutating func answer(_ head: Answer.Head, client: Client) -> Action {
        enterAnswering(Answer(head: head, transfer: .none, response: ResponseBuffer(framing: nil)), client: client)
    }

    /// Moves to (or stays in) `answering`, resuming a client that waits for the answer or for
    /// body bytes. A client held back by upload backpressure stays suspended while the
    /// transfer still takes its bytes.
    private mutating func enterAnswering(_ answer: Answer, client: Client) -> Action {
        let wake = client == .suspended && answer.wakesSuspendedClient
        state = .answering(answer, wake ? .flowing : client)
        return wake ? .resumeClient : .none
    }
}

extension RequestStateMachine.Attempt {
    /// The next candidate, sending the body from its start again.
    var next: Self {
        var next = self
        next.index += 1
        switch upload {
        case .buffered(let body, _): next.upload = .buffered(body, taken: 0)
        case .streamed(var upload):
            upload.taken = 0
            next.upload = .streamed(upload)
        }
        return next
    }
}

extension RequestFacts {
    /// The kept tail, at most `size` bytes.
    func tailBytes(size: Int) -> [UInt8] {
        tail.withUnsafeBytes { Array($0.suffix(size)) }
    }
}
