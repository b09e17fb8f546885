import CCurl
import OllaCore
import OllaEngine

/// One backend transfer: an easy handle lent from the pool, its exchange, and the parse
/// state of the response head. Confined to its worker's loop thread.
final class Transfer {
    let transferID: UInt64
    let delegate: TransferDelegate
    let easy: Curl.Easy
    let headerList: Curl.HeaderList?
    let firstByteTimeout: Duration?
    let idleTimeout: Duration?
    /// The request body's declared length (-1: unknown, nil: no body) and how much was sent.
    let uploadLength: Int64?
    /// The whole request body, when curl sends it from memory (`CURLOPT_POSTFIELDS`, which
    /// does not copy): held here so its storage outlives every use curl makes of it. It is
    /// the exchange's `RequestBody` array itself, never a copy.
    let inlineBody: [UInt8]?
    var uploaded: Int64 = 0

    /// Set once the request body is fully handed over: the first-byte clock starts there,
    /// so a long upload is not mistaken for a silent backend.
    var firstByteDeadline: ContinuousClock.Instant?
    var lastActivity: ContinuousClock.Instant
    /// Set while the response queue is full: the client is not keeping up.
    var receivePausedSince: ContinuousClock.Instant?
    var receivePaused: Bool { receivePausedSince != nil }

    private var headParser = ResponseHeadParser()
    private(set) var headDelivered = false
    /// The delegate turned this answer down (a 503 it retries elsewhere): the rest of the
    /// response is discarded and its end is not reported.
    private(set) var abandoned = false

    init(request: UpstreamRequest, delegate: TransferDelegate, easy: Curl.Easy,
         headerList: Curl.HeaderList?, now: ContinuousClock.Instant) {
        self.transferID = request.transferID
        self.delegate = delegate
        self.easy = easy
        self.headerList = headerList
        self.lastActivity = now
        self.firstByteTimeout = request.firstByteTimeout
        self.idleTimeout = request.idleTimeout
        self.uploadLength = request.bodyLength
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

    /// Counts body bytes handed to curl. curl stops asking once a declared length is reached,
    /// so the end of the upload is noticed here, not only when the source reports its end.
    func uploadProgressed(_ count: Int, now: ContinuousClock.Instant) {
        uploaded += Int64(count)
        lastActivity = now
        if let length = uploadLength, length >= 0, uploaded >= length { uploadFinished(now: now) }
    }

    /// The request body is fully sent: start the first-byte clock.
    func uploadFinished(now: ContinuousClock.Instant) {
        if firstByteDeadline == nil, !headDelivered, let timeout = firstByteTimeout {
            firstByteDeadline = now + timeout
        }
    }

    /// A deadline that has passed, if any.
    func expiredTimeout(now: ContinuousClock.Instant) -> UpstreamFailure? {
        if !headDelivered {
            if let deadline = firstByteDeadline, now >= deadline { return .firstByteTimedOut }
            return nil
        }
        if let idle = idleTimeout, !receivePaused, now - lastActivity >= idle { return .idleTimedOut }
        return nil
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
