import OllaCore

/// Events from the inbound side: the client's body, the server polling for the answer and
/// reading it, the client leaving.
extension RequestStateMachine {
    // MARK: Request body

    /// Body bytes from the client. Returns the error Olla answers with when a buffered body
    /// grows past `limits.maxBodySize` (413); the server then drops the rest of the body.
    mutating func clientBodyReceived(_ bytes: UnsafeRawBufferPointer) -> (Action, ProxyError?) {
        switch state {
        case .receivingBody(var builder):
            let limit = limits.maxBodySize
            if limit > 0 && Int64(builder.count + bytes.count) > limit {
                let error = ProxyError(.payloadTooLarge, "request body exceeds the limit of \(limit) bytes")
                facts.status = error.status
                state = .finished(clientLeft: false)
                return (.none, error)
            }
            state = .modifying
            builder.append(bytes)
            putState(.receivingBody(builder))
            return (.none, nil)
        case .connecting(var attempt, let client):
            state = .modifying
            guard let action = attempt.upload.withStreamed({ queueUpload(bytes, into: &$0, client: client) }) else {
                impossible("clientBodyReceived (buffered body after it completed)")
            }
            putState(.connecting(attempt, action.client ?? client))
            return (action, nil)
        case .answering(let answer, let client):
            guard limits.streamsUpload else { impossible("clientBodyReceived (buffered body after it completed)") }
            // With no transfer left to take them, the rest of a streamed body is dropped.
            let action = answer.withRunningUpload { upload in
                upload.withStreamed { queueUpload(bytes, into: &$0, client: client) }
            }.flatMap { $0 } ?? .none
            state = .answering(answer, action.client ?? client)
            return (action, nil)
        case .finished:
            return (.none, nil)
        case .awaitingUploadRoute, .routing, .held, .fanningOut, .modifying:
            impossible("clientBodyReceived")
        }
    }

    /// The client's body is complete: a buffered request is routed now (`Action.route`); a
    /// streamed upload tells a transfer waiting for bytes that the end is here.
    mutating func clientBodyComplete() -> Action {
        switch state {
        case .receivingBody:
            guard case .receivingBody(let builder) = takeState() else { preconditionFailure() }
            let body = builder.finish()
            if facts.bodyLength != nil || body.count > 0 { facts.bodyLength = Int64(body.count) }
            putState(.routing(body))
            return .route(body)
        case .connecting(var attempt, let client):
            state = .modifying
            guard let action = attempt.upload.withStreamed({ Self.completeUpload(&$0) }) else {
                impossible("clientBodyComplete (buffered body completed twice)")
            }
            putState(.connecting(attempt, client))
            return action
        case .answering(let answer, let client):
            guard limits.streamsUpload else { impossible("clientBodyComplete (buffered body completed twice)") }
            let action = answer.withRunningUpload { $0.withStreamed { Self.completeUpload(&$0) } }.flatMap { $0 } ?? .none
            state = .answering(answer, client)
            return action
        case .finished:
            return .none
        case .awaitingUploadRoute, .routing, .held, .fanningOut, .modifying:
            impossible("clientBodyComplete")
        }
    }

    private func queueUpload(_ bytes: UnsafeRawBufferPointer, into upload: inout StreamedUpload, client: Client) -> Action {
        upload.queue.append(bytes)
        let unpause = upload.transferWaiting
        upload.transferWaiting = false
        let suspend = client == .flowing && upload.queue.count >= limits.highWater
        switch (unpause, suspend) {
        case (true, true): return .unpauseTransferAndSuspendClient
        case (true, false): return .unpauseTransfer
        case (false, true): return .suspendClient
        case (false, false): return .none
        }
    }

    private static func completeUpload(_ upload: inout StreamedUpload) -> Action {
        upload.complete = true
        guard upload.transferWaiting else { return .none }
        upload.transferWaiting = false
        return .unpauseTransfer
    }

    // MARK: The answer

    /// The server asks whether it can answer now; if not, the client waits suspended.
    mutating func pollAnswer() -> (Action, Poll) {
        switch state {
        case .finished:
            // Resumed only so the server can release the connection: never suspend again.
            return (.none, .respondError(ProxyError(.badRequest, "client closed the connection")))
        case .answering(let answer, _):
            guard let head = answer.head else { impossible("pollAnswer (the head was already queued)") }
            answer.head = nil
            return (.none, queue(head, answer))
        case .held(_, let client), .connecting(_, let client):
            // The state is moved out and back, not bound by the `switch`: a binding copied
            // the attempt (its candidates, its body) only to destroy the old state.
            switch takeState() {
            case .held(let body, _): putState(.held(body, .suspended))
            case .connecting(let attempt, _): putState(.connecting(attempt, .suspended))
            default: preconditionFailure()
            }
            return (client == .flowing ? .suspendClient : .none, .wait)
        case .fanningOut(let client):
            state = .fanningOut(.suspended)
            return (client == .flowing ? .suspendClient : .none, .wait)
        case .receivingBody, .awaitingUploadRoute, .routing, .modifying:
            impossible("pollAnswer (before the body completed)")
        }
    }

    /// The head goes to the server. A backend answer that is already complete (the usual case
    /// for small replies) goes as one buffer, head and body in one write, without a reader.
    private mutating func queue(_ head: Answer.Head, _ answer: Answer) -> Poll {
        switch head {
        case .backend(let head):
            facts.status = head.status
            guard case .finished = answer.transfer, let length = head.contentLength,
                  length == UInt64(answer.response.queue.count) else {
                return .respond(head)
            }
            // Reserved and appended to, not zeroed first. Not `init(unsafeUninitializedCapacity:)`:
            // that goes through the standard library's unspecialised allocation, which asks the
            // runtime for the storage's type on every call (~0.36 K instructions per answer).
            var body: [UInt8] = []
            body.reserveCapacity(Int(length))
            answer.response.queue.withUnsafeBytes { body.append(contentsOf: $0) }
            answer.response.queue.drop(body.count)
            facts.bytesSent += Int64(length)
            return .respondComplete(head, body)
        case .error(let error):
            facts.status = error.status
            return .respondError(error)
        case .local(let response):
            facts.status = response.status
            return .respondLocal(response)
        }
    }

    /// Fills the server's buffer with response bytes. When nothing can go out yet, the client
    /// is suspended before the reader returns (a reader returning 0 otherwise spins).
    /// `suspendingWhenDrained`: the server holds a suspension asked for with bytes until they
    /// are sent, so the read that empties the queue of a running transfer suspends at once
    /// instead of leaving that to the next read, which would find nothing.
    mutating func readResponse(
        into destination: UnsafeMutableRawBufferPointer, suspendingWhenDrained: Bool = false
    ) -> (Action, Exchange.ResponseRead) {
        switch state {
        case .finished:
            return (.none, .abort)
        case .answering:
            // Once per chunk: the answer is read and drained in place (a reference). Moved out
            // and back, not bound by the `switch` (see `upstreamBodyReceived`).
            guard case .answering(let answer, var client) = takeState() else { preconditionFailure() }
            guard answer.head == nil else {
                putState(.answering(answer, client))
                impossible("readResponse (before the head was queued)")
            }
            defer { putState(.answering(answer, client)) }
            let running: Bool
            switch answer.transfer {
            case .none, .running: running = true
            case .finished, .failed, .cancelled: running = false
            }
            let limit = answer.response.sendableBytes(
                room: destination.count, running: running,
                holdsFinalRecord: facts.changesHoldings, lowWater: limits.lowWater)
            let n = limit == 0 ? 0 : answer.response.queue.drain(
                into: UnsafeMutableRawBufferPointer(rebasing: destination[0..<limit]))
            if n > 0 {
                facts.bytesSent += Int64(n)
                if answer.response.intake == .paused && answer.response.queue.count <= limits.lowWater {
                    answer.response.intake = .resuming
                    return (.unpauseTransfer, .bytes(n))
                }
                if suspendingWhenDrained && running && answer.response.queue.count == 0 {
                    client = .suspended
                    return (.suspendClient, .bytes(n))
                }
                return (.none, .bytes(n))
            }
            switch answer.transfer {
            case .finished:
                return (.none, .end)
            case .failed, .cancelled:
                return (.none, answer.response.trailerWritten ? .end : .abort)
            case .none, .running:
                client = .suspended
                return (.suspendClient, .suspended)
            }
        case .receivingBody, .awaitingUploadRoute, .routing, .held, .connecting, .fanningOut, .modifying:
            impossible("readResponse (no response queued)")
        }
    }

    // MARK: The client going away

    /// The client hung up, stalled past `server.write_timeout`, or its connection failed:
    /// stop the backend at once and resume a suspended connection so the server releases it.
    mutating func clientLeft() -> Action {
        let running: Bool
        let client: Client
        switch state {
        case .finished:
            return .none
        case .receivingBody, .awaitingUploadRoute, .routing:
            (running, client) = (false, .flowing)
        case .held(_, let c):
            (running, client) = (false, c)
        case .connecting(_, let c), .fanningOut(let c):
            (running, client) = (true, c)
        case .answering(let answer, let c):
            (running, client) = (answer.transferRunning, c)
        case .modifying:
            impossible("clientLeft")
        }
        state = .finished(clientLeft: true)
        switch (running, client) {
        case (true, .suspended): return .cancelTransferAndResumeClient
        case (true, .flowing): return .cancelTransfer
        case (false, .suspended): return .resumeClient
        case (false, .flowing): return .none
        }
    }

    /// The server sent the whole response. A transfer still running (a HEAD request, or an
    /// answer Olla made while the upload ran) is cancelled. The server's last word on a
    /// request, so it is accepted in every state.
    mutating func clientCompleted() -> Action {
        let running: Bool
        switch state {
        case .finished:
            return .none
        case .answering(let answer, _):
            running = answer.transferRunning
        case .connecting, .fanningOut:
            running = true
        case .receivingBody, .awaitingUploadRoute, .routing, .held:
            running = false
        case .modifying:
            impossible("clientCompleted")
        }
        state = .finished(clientLeft: false)
        return running ? .cancelTransfer : .none
    }
}

extension RequestStateMachine.Upload {
    /// Runs `body` on a streamed upload's queue in place; nil for a buffered body.
    mutating func withStreamed<R>(_ body: (inout RequestStateMachine.StreamedUpload) -> R) -> R? {
        guard case .streamed(var upload) = self else { return nil }
        self = .streamed(RequestStateMachine.StreamedUpload())  // drop the second reference: no copy
        defer { self = .streamed(upload) }
        return body(&upload)
    }
}

extension RequestStateMachine.Answer {
    /// Runs `body` on the running transfer's upload in place; nil when no transfer runs.
    func withRunningUpload<R>(_ body: (inout RequestStateMachine.Upload) -> R) -> R? {
        guard case .running(var upload) = transfer else { return nil }
        transfer = .none  // drop the second reference: no copy
        defer { transfer = .running(upload) }
        return body(&upload)
    }
}
