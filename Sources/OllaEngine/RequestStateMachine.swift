import OllaCore

/// The life of one proxied request as pure state: no locks, no sockets, no clocks of its own.
///
/// One `State` says where the request is; each case carries only what is valid there. Events
/// come in as mutating methods named for what happened (`clientBodyReceived`,
/// `upstreamHeadReceived`, `clientLeft`); each returns one `Action` for the owner to carry
/// out (and, where the caller needs one, the answer to its question: a `Poll`, a
/// `ResponseRead`, an `UploadRead`). An event that cannot happen in the current state is a
/// bug in the caller and stops the process (`preconditionFailure`); events that can race
/// with a cancellation (a chunk the backend sent before the cancel reached the loop) are
/// accepted and dropped.
///
/// ```
/// receivingBody ──body complete──▶ routing ──▶ connecting ⇄ (retry) ──head──▶ answering ──▶ finished
///                                          ├─▶ held ──released──▶ connecting
///                                          ├─▶ fanningOut ──merged answer──▶ answering
///                                          └─▶ answering (Olla's own error)
/// awaitingUploadRoute ──routed──▶ connecting (a streamed upload starts before its body)
/// any state ──client left──▶ finished
/// ```
///
/// Everything the request knows that outlives a state (its model, plan, endpoint, status,
/// bytes sent, the tail for token counts) is in `facts`, written only here.
struct RequestStateMachine {
    /// Where the request is. Documented with the states each case may move to.
    enum State {
        /// A buffered request's body arrives. → `routing` (body complete), `finished`
        /// (body over the limit, client left).
        case receivingBody(RequestBody.Builder)
        /// A streamed upload's head is in; it is routed before any body byte.
        /// → `connecting`, `answering` (no instance), `finished`.
        case awaitingUploadRoute
        /// The body is complete and the owner is routing it (`Action.route`).
        /// → `connecting`, `held`, `fanningOut`, `answering`, `finished`.
        case routing(RequestBody)
        /// Waiting in the scheduler's hold queue. → `connecting` (released), `answering`
        /// (refused, or no instance left), `finished` (client left).
        case held(RequestBody, Client)
        /// An attempt runs and no head was accepted yet. → `connecting` (next candidate),
        /// `answering` (a head, or an error), `finished`.
        case connecting(Attempt, Client)
        /// The request runs on every target at once. → `answering` (merged answer), `finished`.
        case fanningOut(Client)
        /// Olla knows what to answer; the response head waits for the server or is sent, and
        /// body bytes flow. → `finished`.
        case answering(Answer, Client)
        /// The client left, or the server is done with the connection. Final.
        case finished(clientLeft: Bool)
        /// Transient, while an associated value is mutated in place (no copy of the queues).
        case modifying
    }

    /// Whether libmicrohttpd has the client connection suspended. Suspending and resuming
    /// happen under the owner's lock, so this and the library never drift apart.
    enum Client: Equatable {
        case flowing
        case suspended
    }

    /// One backend attempt: which candidate, out of which, and the request body it sends.
    struct Attempt {
        var index: Int
        var candidates: [EndpointTarget]
        /// How many attempts this request may make: the configured retries plus one, at most
        /// one per candidate.
        var maxAttempts: Int
        var upload: Upload

        var endpoint: EndpointTarget { candidates[index] }
    }

    /// The request body as the running transfer reads it.
    enum Upload {
        /// A complete body, read from `taken` on (zero again on every new attempt).
        case buffered(RequestBody, taken: Int)
        /// A body streamed as it arrives (blob uploads), through a bounded queue.
        case streamed(StreamedUpload)

        var isComplete: Bool {
            if case .streamed(let upload) = self { return upload.complete }
            return true
        }

        /// Bytes curl has taken in this attempt: a streamed body is only replayable before.
        var taken: Int64 {
            switch self {
            case .buffered(_, let taken): Int64(taken)
            case .streamed(let upload): upload.taken
            }
        }
    }

    /// A streamed upload's queue and flags.
    struct StreamedUpload {
        var queue = ByteQueue()
        var complete = false
        var taken: Int64 = 0
        /// curl asked for bytes when none were queued and paused its upload.
        var transferWaiting = false
    }

    /// What Olla answers and how far it got.
    ///
    /// A reference, unlike the other payloads: the per-chunk events (a chunk from the
    /// backend, a read by the server) change the answer's queue in place through it, where a
    /// value payload had to be moved out of the state and back (a copy of the whole state
    /// each way, destroys of the placeholder; ~0.6 K instructions per forwarded chunk). One
    /// answer per request, owned by its machine: a copy of the machine shares it, as it
    /// already shared the queue's bytes (`ByteQueue`). Its fields are accessed only by the
    /// machine's events under the owner's lock, never overlapping, so the run-time
    /// exclusivity checks of a class's fields (~80 instructions each) are left out.
    final class Answer {
        /// The response head, until the server queued it.
        enum Head {
            case backend(UpstreamHead)
            case error(ProxyError)
            case local(LocalResponse)
        }

        /// The backend transfer behind the answer.
        enum Transfer {
            /// Olla answers itself; no transfer ran.
            case none
            /// Still running; the body it sends may still be going out (an early answer).
            case running(Upload)
            case finished
            case failed(UpstreamFailure)
            case cancelled
        }

        /// Nil once the server queued the head.
        @exclusivity(unchecked) var head: Head?
        @exclusivity(unchecked) var transfer: Transfer
        @exclusivity(unchecked) var response: ResponseBuffer

        init(head: Head?, transfer: Transfer, response: ResponseBuffer) {
            self.head = head
            self.transfer = transfer
            self.response = response
        }

        var transferRunning: Bool {
            if case .running = transfer { return true }
            return false
        }

        /// Whether the server queued the head (`head` is nil), read without a copy of it.
        var headQueued: Bool {
            if case .none = head { return true }
            return false
        }

        /// Whether a client suspended while it waited may flow again: the answer is there,
        /// unless it waits for a streamed upload the transfer still takes (upload
        /// backpressure keeps it suspended until the upload completes or the transfer ends).
        var wakesSuspendedClient: Bool {
            if case .running(.streamed(let upload)) = transfer { return upload.complete }
            return true
        }
    }

    /// What the owner does after an event. Client suspend and resume must happen under the
    /// same lock as the event; everything else after it is released.
    enum Action: Equatable {
        case none
        case suspendClient
        case resumeClient
        /// Start a transfer to `start.endpoint` (the previous attempt, if any, is over).
        /// `Start` is a reference: the largest payload by far, and every event returns an
        /// action by value (the per-chunk ones included), so inline it made each action ~130
        /// bytes to copy and destroy.
        case startAttempt(Start)
        case unpauseTransfer
        /// Upload bytes arrived for a waiting transfer and filled the queue: both at once.
        case unpauseTransferAndSuspendClient
        case cancelTransfer
        case cancelTransferAndResumeClient
        /// Route the complete body and report back with `routed`.
        case route(RequestBody)
        /// Send the body to every target and report back with `fanOutFinished`.
        case startFanOut([EndpointTarget], RequestBody)
        /// Attach to the scheduler's hold queue for `model`.
        case hold(model: String)

        /// What a started attempt needs: all of it taken under the event's lock, so the owner
        /// starts the transfer and does its accounting without taking the lock again.
        ///
        /// A class, made once per attempt and read in place: as the boxed payload of an
        /// `indirect` case (one allocation as well) every `case .startAttempt(let start)` copied
        /// its fields out of the box (the endpoint's Strings and headers, the body, the model:
        /// a retain each) and destroyed the copy again (~0.35 K instructions per request).
        final class Start: Equatable {
            let index: Int
            let endpoint: EndpointTarget
            /// The buffered body (nil for a streamed upload, read through `readUpload`).
            let body: RequestBody?
            /// The in-flight count of an abandoned attempt this one replaces: the owner ends it.
            let replacedInFlight: RequestFacts.InFlight?
            /// `RequestFacts.bodyLength`.
            let bodyLength: Int64?
            /// `RequestFacts.model`.
            let model: String?
            /// The scheduler placed the request: it records the attempt too.
            let scheduled: Bool
            /// The first attempt, on the instance the scheduler placed the request on
            /// (`RoutingPlan.placedOn`): the scheduler counted it there already.
            let placed: Bool

            init(index: Int, endpoint: EndpointTarget, body: RequestBody?, replacedInFlight: RequestFacts.InFlight? = nil,
                 bodyLength: Int64? = nil, model: String? = nil, scheduled: Bool = false, placed: Bool = false) {
                self.index = index
                self.endpoint = endpoint
                self.body = body
                self.replacedInFlight = replacedInFlight
                self.bodyLength = bodyLength
                self.model = model
                self.scheduled = scheduled
                self.placed = placed
            }

            /// The same attempt: candidate, instance and body (the rest copies facts).
            static func == (a: Start, b: Start) -> Bool {
                guard a.index == b.index && a.endpoint == b.endpoint else { return false }
                switch (a.body, b.body) {
                case (nil, nil): return true
                case (let x?, let y?): return x.isSame(as: y)
                default: return false
                }
            }
        }

        static func == (a: Action, b: Action) -> Bool {
            switch (a, b) {
            case (.none, .none), (.suspendClient, .suspendClient), (.resumeClient, .resumeClient),
                 (.unpauseTransfer, .unpauseTransfer), (.unpauseTransferAndSuspendClient, .unpauseTransferAndSuspendClient),
                 (.cancelTransfer, .cancelTransfer), (.cancelTransferAndResumeClient, .cancelTransferAndResumeClient):
                true
            case (.startAttempt(let x), .startAttempt(let y)): x == y
            case (.route(let x), .route(let y)): x.isSame(as: y)
            case (.startFanOut(let t, let x), .startFanOut(let u, let y)): t == u && x.isSame(as: y)
            case (.hold(let x), .hold(let y)): x == y
            default: false
            }
        }

        /// The part of the action that concerns the client connection.
        var client: Client? {
            switch self {
            case .suspendClient, .unpauseTransferAndSuspendClient: .suspended
            case .resumeClient, .cancelTransferAndResumeClient: .flowing
            default: nil
            }
        }
    }

    /// What the server does when it polls for the answer.
    enum Poll {
        case respond(UpstreamHead)
        /// The whole answer is here: head and body go out in one write.
        case respondComplete(UpstreamHead, [UInt8])
        case respondLocal(LocalResponse)
        case respondError(ProxyError)
        /// The client waits suspended until there is news.
        case wait
    }

    /// Per-request settings, fixed when the request starts.
    struct Limits {
        var streamsUpload: Bool
        /// Bytes queued (either direction) before the producer is paused.
        var highWater: Int
        /// `proxy.max_retries` + 1.
        var maxAttempts: Int
        /// Bytes; zero means unlimited. Applies to buffered bodies only.
        var maxBodySize: Int64
        /// Keep the answer's last bytes for token counts (inference routes).
        var keepsTail: Bool
        /// The API family: it frames the error event that ends a broken stream.
        var flavor: APIFlavor

        var lowWater: Int { highWater / 2 }
    }

    let limits: Limits
    /// Written only by the event methods (in this file and its `+Client`, `+Backend` companions).
    var state: State
    /// Written by the event methods and the owner's bookkeeping (`+Accounting`).
    var facts: RequestFacts

    /// `announcedBodyLength`: nil without a body, -1 for a body of unknown length.
    init(limits: Limits, announcedBodyLength: Int64?) {
        self.limits = limits
        self.facts = RequestFacts(bodyLength: announcedBodyLength)
        if limits.streamsUpload {
            state = .awaitingUploadRoute
        } else {
            let cap = limits.maxBodySize > 0 ? limits.maxBodySize : Self.reserveCap
            state = .receivingBody(RequestBody.Builder(announcedLength: announcedBodyLength, cap: cap))
        }
    }

    /// The most a body of announced length reserves up front when no body limit is set.
    static let reserveCap: Int64 = 8 << 20

    // MARK: What the owner asks between events (read under the same lock)

    /// Whether the client's body has not ended yet: a buffered body still arriving, or a
    /// streamed upload that a running transfer still reads. libmicrohttpd polls for the answer
    /// once the body is complete and again after every resume; the first poll ends the body
    /// (`Exchange.pollAnswer`), so the server keeps no flag of its own.
    var awaitsBodyEnd: Bool {
        switch state {
        case .receivingBody:
            return true
        case .connecting(let attempt, _):
            return !attempt.upload.isComplete
        case .answering(let answer, _):
            if case .running(let upload) = answer.transfer { return !upload.isComplete }
            return false
        case .awaitingUploadRoute, .routing, .held, .fanningOut, .finished, .modifying:
            return false
        }
    }

    /// Whether the running attempt has taken the whole body: curl stops asking at a declared
    /// length, so the transport learns the end from this (`UploadRead.lastBytes`).
    var uploadFullyTaken: Bool {
        let upload: Upload
        switch state {
        case .connecting(let attempt, _):
            upload = attempt.upload
        case .answering(let answer, _):
            guard case .running(let running) = answer.transfer else { return false }
            upload = running
        default:
            return false
        }
        switch upload {
        case .buffered(let body, let taken):
            return taken >= body.count
        case .streamed(let streamed):
            if streamed.complete && streamed.queue.count == 0 { return true }
            guard let length = facts.bodyLength, length >= 0 else { return false }
            return streamed.taken >= length
        }
    }

    /// Whether the request paused its answer's transfer (the queue was full) and curl has not
    /// delivered since (`TransferDelegate.holdsAnswerPaused`).
    var holdsAnswerPaused: Bool {
        guard case .answering(let answer, _) = state, answer.transferRunning else { return false }
        return answer.response.intake != .open
    }

    /// Moves the state out, leaving `.modifying`, for an event that changes it in place. A
    /// `switch` on `state` copies the payload instead (a retain of every reference inside,
    /// and a release when the old value is overwritten): the events that replace an attempt
    /// avoid that. (The answer is a reference and is changed through it.)
    @inline(__always)
    mutating func takeState() -> State {
        var taken = State.modifying
        swap(&taken, &state)
        return taken
    }

    /// Puts a state back where `takeState()` (or `state = .modifying`) left the placeholder:
    /// initialized over it, as `.modifying` holds nothing to destroy. An assignment destroyed
    /// the placeholder first, through the enum's outlined destroy (~20 instructions; twice
    /// per forwarded chunk).
    @inline(__always)
    mutating func putState(_ new: __owned State) {
        assert(state.isModifying, "putState over a state that holds something: \(state.name)")
        withUnsafeMutablePointer(to: &state) { $0.initialize(to: new) }
    }

    /// Stops the process: `event` cannot happen in the current state, so the caller is wrong.
    func impossible(_ event: String) -> Never {
        preconditionFailure("request state machine: \(event) in state \(state.name)")
    }
}

extension RequestStateMachine.State {
    /// Whether this is the transient placeholder (`putState` initializes over it).
    var isModifying: Bool {
        if case .modifying = self { return true }
        return false
    }

    /// The case's name, for failure messages and tests.
    var name: String {
        switch self {
        case .receivingBody: "receivingBody"
        case .awaitingUploadRoute: "awaitingUploadRoute"
        case .routing: "routing"
        case .held: "held"
        case .connecting: "connecting"
        case .fanningOut: "fanningOut"
        case .answering(let answer, _):
            "answering(\(answer.head == nil ? "sent" : "ready"), \(answer.transferRunning ? "running" : "ended"))"
        case .finished(let left): left ? "finished(clientLeft)" : "finished"
        case .modifying: "modifying"
        }
    }
}
