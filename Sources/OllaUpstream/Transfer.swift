import CCurl
import OllaCore
import OllaEngine

/// One backend transfer: an easy handle lent from the pool, its exchange, and the parse
/// state of the response head. Confined to its worker's loop thread, so its fields go without
/// run-time exclusivity checks (~40–80 instructions per access: the write callback reads two
/// per forwarded chunk, the tick two or three per transfer).
final class Transfer {
    let transferID: UInt64
    let delegate: TransferDelegate
    let easy: Curl.Easy
    let firstByteTimeout: Duration?
    let idleTimeout: Duration?
    /// The whole request body, when curl sends it from memory (`CURLOPT_POSTFIELDS`, which
    /// does not copy): held here so its storage outlives every use curl makes of it. It is
    /// the exchange's `RequestBody` array itself, never a copy.
    let inlineBody: [UInt8]?

    /// Set once the request body is fully handed over: the first-byte clock starts there,
    /// so a long upload is not mistaken for a silent backend. How much of the body went out
    /// is the delegate's to know (`UploadRead.lastBytes`), not counted here.
    @exclusivity(unchecked) var firstByteDeadline: ContinuousClock.Instant?
    /// The idle clock: the last time the backend sent or took bytes, or Olla unpaused the
    /// transfer. Whether the transfer is paused is the delegate's to know
    /// (`TransferDelegate.holdsAnswerPaused`), not recorded here.
    @exclusivity(unchecked) var lastActivity: ContinuousClock.Instant
    /// The pooled handle this transfer runs on, from `TransferTable.add` to `remove`: it keeps
    /// the handle (and so `easy`) alive while the transfer runs. The handle points back
    /// (`EasyHandle.transfer`); `TransferTable.remove` clears both.
    @exclusivity(unchecked) var handle: EasyHandle?
    /// Body bytes arrived since the last tick: the tick moves `lastActivity` to its own time.
    /// A store per chunk instead of a clock read; idle time is then measured with the tick's
    /// precision (100 ms), plenty for a limit counted in seconds.
    @exclusivity(unchecked) private var activitySinceTick = false

    @exclusivity(unchecked) private var headParser = ResponseHeadParser()
    @exclusivity(unchecked) private(set) var headDelivered = false
    /// The delegate turned this answer down (a 503 it retries elsewhere): the rest of the
    /// response is discarded and its end is not reported.
    @exclusivity(unchecked) private(set) var abandoned = false
    /// Body bytes came before a head Olla could read: libcurl accepted a status line
    /// `ResponseHeadParser` does not (two spaces or a tab before the code, which `sscanf`
    /// skips), so no head was delivered. The transfer was stopped there (`bodyReceived`).
    @exclusivity(unchecked) private(set) var headUnreadable = false

    /// How a transfer whose head Olla could not read ends (a 502 before any byte went out).
    static let unreadableHead = UpstreamFailure.transferFailed("unreadable response status line")

    init(request: UpstreamRequest, delegate: TransferDelegate, easy: Curl.Easy, now: ContinuousClock.Instant) {
        self.transferID = request.transferID
        self.delegate = delegate
        self.easy = easy
        self.lastActivity = now
        self.firstByteTimeout = request.firstByteTimeout
        self.idleTimeout = request.idleTimeout
        self.inlineBody = request.inlineBody
        // Without a streamed body the request is out at once: the first-byte clock starts now.
        if (request.bodyLength ?? 0) == 0 || request.inlineBody != nil, let timeout = request.firstByteTimeout {
            firstByteDeadline = now + timeout
        }
    }

    /// One line of the response head, as curl hands it over (CRLF included). Lines after
    /// the head was delivered (trailers of a chunked body) are ignored.
    func headerLine(_ line: UnsafeRawBufferPointer) {
        guard !headDelivered, let head = headParser.consume(line) else { return }
        headDelivered = true
        lastActivity = .now
        if delegate.upstreamHeadReceived(UpstreamHead(status: head.status, headers: head.headers)) == .abandon {
            abandoned = true
        }
    }

    /// What the delegate handed over for the request body, as curl's read callback returns it
    /// (bytes written, 0 for the end, or `CURL_READFUNC_PAUSE`). The last bytes and the end
    /// start the first-byte clock: curl stops asking once a declared length is reached, so the
    /// delegate says which bytes are the last.
    func uploadRead(_ read: UploadRead, now: ContinuousClock.Instant) -> Int {
        switch read {
        case .bytes(let n):
            lastActivity = now
            return n
        case .lastBytes(let n):
            lastActivity = now
            uploadFinished(now: now)
            return n
        case .end:
            uploadFinished(now: now)
            return 0
        case .pause:
            return Int(CURL_READFUNC_PAUSE)
        }
    }

    /// The request body is fully sent: start the first-byte clock.
    private func uploadFinished(now: ContinuousClock.Instant) {
        if firstByteDeadline == nil, !headDelivered, let timeout = firstByteTimeout {
            firstByteDeadline = now + timeout
        }
    }

    /// The backend sent body bytes (the write callback, once per chunk).
    func noteActivity() {
        activitySinceTick = true
    }

    /// A piece of the response body (the write callback, once per chunk), handed to the
    /// delegate; returns what the write callback returns: the length taken,
    /// `CURL_WRITEFUNC_PAUSE`, or 0 to stop the transfer (libcurl ends it with
    /// `CURLE_WRITE_ERROR`). The delegate hears of an answer only after its head: body bytes
    /// without one (`headUnreadable`) stop the transfer instead of reaching it.
    func bodyReceived(_ bytes: UnsafeRawBufferPointer) -> Int {
        noteActivity()
        if abandoned { return bytes.count }
        guard headDelivered else {
            headUnreadable = true
            return 0
        }
        switch delegate.upstreamBodyReceived(bytes) {
        case .accepted:
            return bytes.count
        case .pause:
            return Int(CURL_WRITEFUNC_PAUSE)
        }
    }

    /// A deadline that has passed, if any. Silence after the head counts as idle unless the
    /// delegate paused the transfer (asked only once the idle clock ran out; a paused transfer
    /// restarts its clock, so the delegate is asked once per idle period, not per tick).
    func expiredTimeout(now: ContinuousClock.Instant) -> UpstreamFailure? {
        if !headDelivered {
            if let deadline = firstByteDeadline, now >= deadline { return .firstByteTimedOut }
            return nil
        }
        if activitySinceTick {
            activitySinceTick = false
            lastActivity = now
        }
        guard let idle = idleTimeout, now - lastActivity >= idle else { return nil }
        if delegate.holdsAnswerPaused {
            lastActivity = now
            return nil
        }
        return .idleTimedOut
    }

    /// What this finished transfer's result code means for its delegate (`failure(for:headDelivered:)`,
    /// or `unreadableHead` when the transfer was stopped for want of a head).
    func failure(for code: CURLcode) -> UpstreamFailure? {
        if headUnreadable { return Self.unreadableHead }
        return Self.failure(for: code, headDelivered: headDelivered)
    }

    /// What a finished transfer's result code means for its delegate: nil for a complete
    /// answer, else the failure the retry policy classifies (connect failures may go to
    /// another endpoint).
    static func failure(for code: CURLcode, headDelivered: Bool) -> UpstreamFailure? {
        switch code {
        case CURLE_OK:
            return headDelivered ? nil : .transferFailed("empty response")
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connectFailed(Curl.errorText(code))
        case CURLE_OPERATION_TIMEDOUT:
            // Olla enforces first-byte and idle limits itself; curl only times the connect.
            return headDelivered ? .idleTimedOut : .connectTimedOut
        default:
            return .transferFailed(Curl.errorText(code))
        }
    }
}
