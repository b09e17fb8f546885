import CCurl
import Synchronization
import Testing
import OllaCore
@testable import OllaEngine
@testable import OllaUpstream

/// Records what a transfer tells its delegate.
private final class RecordingDelegate: TransferDelegate, @unchecked Sendable {
    var heads: [UpstreamHead] = []
    var disposition = HeadDisposition.accept
    func upstreamHeadReceived(_ head: UpstreamHead) -> HeadDisposition { heads.append(head); return disposition }
    var bodies: [[UInt8]] = []
    var acceptance = BodyAcceptance.accepted
    func upstreamBodyReceived(_ bytes: UnsafeRawBufferPointer) -> BodyAcceptance { bodies.append(Array(bytes)); return acceptance }
    func upstreamFinished(_ failure: UpstreamFailure?) {}
    func readUpload(into destination: UnsafeMutableRawBufferPointer) -> UploadRead { .end }
    var paused = false
    var holdsAnswerPaused: Bool { paused }
}

/// A transfer on a real (never started) easy handle: no socket is opened.
private final class Fixture {
    let easy: Curl.Easy
    let delegate = RecordingDelegate()
    let transfer: Transfer
    let start = ContinuousClock.now

    init(bodyLength: Int64? = nil, inline: Bool = false, firstByte: Duration? = .seconds(10), idle: Duration? = .seconds(5)) throws {
        easy = try Curl.easyInit()
        var request = UpstreamRequest(transferID: 9, url: "http://127.0.0.1:1/", method: bodyLength == nil ? "GET" : "POST",
                                      headers: [], bodyLength: bodyLength, connectTimeout: .seconds(1),
                                      firstByteTimeout: firstByte, idleTimeout: idle)
        if inline, let bodyLength { request.inlineBody = [UInt8](repeating: 0x61, count: Int(bodyLength)) }
        transfer = Transfer(request: request, delegate: delegate, easy: easy, now: start)
    }

    deinit { Curl.cleanup(easy) }

    func lines(_ lines: String...) {
        for line in lines { Array(line.utf8).withUnsafeBytes { transfer.headerLine($0) } }
    }
}

@Suite struct TransferHeaderTests {
    @Test func finalHeadIsDeliveredOnceWithItsHeaders() throws {
        let f = try Fixture()
        f.lines("HTTP/1.1 200 OK\r\n", "Content-Type: application/x-ndjson\r\n", "X-A:  spaced \r\n", "\r\n")
        #expect(f.delegate.heads.count == 1)
        #expect(f.delegate.heads.first?.status == 200)
        #expect(f.delegate.heads.first?.headers.map(\.name) == ["Content-Type", "X-A"])
        #expect(f.delegate.heads.first?.headers.last?.value == "spaced")
        #expect(f.transfer.headDelivered)
    }

    @Test func interimHeadsAreSkipped() throws {
        let f = try Fixture()
        f.lines("HTTP/1.1 100 Continue\r\n", "\r\n", "HTTP/1.1 503 Service Unavailable\r\n", "Retry-After: 1\r\n", "\r\n")
        #expect(f.delegate.heads.map(\.status) == [503])
        #expect(f.delegate.heads.first?.headers.count == 1)
    }

    @Test func trailersAfterTheHeadAreIgnored() throws {
        let f = try Fixture()
        f.lines("HTTP/1.1 200 OK\r\n", "\r\n", "X-Trailer: 1\r\n", "\r\n")
        #expect(f.delegate.heads.count == 1)
    }

    @Test func abandonedHeadMarksTheTransfer() throws {
        let f = try Fixture()
        f.delegate.disposition = .abandon
        f.lines("HTTP/1.1 503 Busy\r\n", "\r\n")
        #expect(f.transfer.abandoned)
    }
}

@Suite struct TransferBodyTests {
    private func body(_ f: Fixture, _ text: String) -> Int {
        Array(text.utf8).withUnsafeBytes { f.transfer.bodyReceived($0) }
    }

    @Test func bodyAfterTheHeadReachesTheDelegate() throws {
        let f = try Fixture()
        f.lines("HTTP/1.1 200 OK\r\n", "\r\n")
        #expect(body(f, "{}\n") == 3)
        f.delegate.acceptance = .pause
        #expect(body(f, "[]") == Int(CURL_WRITEFUNC_PAUSE))
        #expect(f.delegate.bodies == [Array("{}\n".utf8), Array("[]".utf8)])
        #expect(f.transfer.failure(for: CURLE_OK) == nil)
    }

    /// A head Olla's parser cannot read (here its code) gives no head: the body must not
    /// reach a delegate that never had one (libcurl took `HTTP/1.1  200 OK`, two spaces, as a
    /// 200 before the parser skipped them as it does).
    @Test func bodyWithoutAReadableHeadStopsTheTransfer() throws {
        let f = try Fixture()
        f.lines("HTTP/1.1 2x0 OK\r\n", "Content-Length: 2\r\n", "\r\n")
        #expect(f.delegate.heads.isEmpty)
        #expect(body(f, "{}") == 0, "0 makes libcurl end the transfer (CURLE_WRITE_ERROR)")
        #expect(f.delegate.bodies.isEmpty)
        #expect(f.transfer.headUnreadable)
        #expect(f.transfer.failure(for: CURLE_WRITE_ERROR) == Transfer.unreadableHead)
    }

    @Test func bodyOfAnAbandonedAnswerIsDropped() throws {
        let f = try Fixture()
        f.delegate.disposition = .abandon
        f.lines("HTTP/1.1 503 Busy\r\n", "\r\n")
        #expect(body(f, "busy") == 4)
        #expect(f.delegate.bodies.isEmpty)
    }
}

@Suite struct TransferTimeoutTests {
    @Test func firstByteClockRunsFromStartWithoutAStreamedBody() throws {
        let f = try Fixture(firstByte: .seconds(10))
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(9)) == nil)
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(10)) == .firstByteTimedOut)
    }

    @Test func inlineBodyStartsTheFirstByteClockAtOnce() throws {
        let f = try Fixture(bodyLength: 100, inline: true, firstByte: .seconds(10))
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(10)) == .firstByteTimedOut)
    }

    @Test func streamedUploadStartsTheFirstByteClockWhenSent() throws {
        let f = try Fixture(bodyLength: 100, firstByte: .seconds(10))
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(60)) == nil, "a long upload is not a silent backend")
        #expect(f.transfer.uploadRead(.bytes(60), now: f.start + .seconds(61)) == 60)
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(80)) == nil)
        #expect(f.transfer.uploadRead(.lastBytes(40), now: f.start + .seconds(62)) == 40)
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(71)) == nil)
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(72)) == .firstByteTimedOut)
    }

    @Test func unknownLengthUploadStartsTheClockAtItsEnd() throws {
        let f = try Fixture(bodyLength: -1, firstByte: .seconds(10))
        #expect(f.transfer.uploadRead(.bytes(1000), now: f.start + .seconds(1)) == 1000)
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(30)) == nil)
        #expect(f.transfer.uploadRead(.end, now: f.start + .seconds(30)) == 0)
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(40)) == .firstByteTimedOut)
    }

    @Test func idleClockCountsSilenceAfterTheHeadUnlessOllaPaused() throws {
        let f = try Fixture(idle: .seconds(5))
        f.lines("HTTP/1.1 200 OK\r\n", "\r\n")
        f.transfer.lastActivity = f.start
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(4)) == nil)
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(5)) == .idleTimedOut)
        f.delegate.paused = true
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(60)) == nil, "a paused transfer is silent by Olla's choice")
        // The paused check restarted the idle clock: unpaused, silence counts from there.
        f.delegate.paused = false
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(64)) == nil)
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(65)) == .idleTimedOut)
    }

    @Test func bodyActivityMovesTheIdleClockAtTheNextTick() throws {
        let f = try Fixture(idle: .seconds(5))
        f.lines("HTTP/1.1 200 OK\r\n", "\r\n")
        f.transfer.lastActivity = f.start
        f.transfer.noteActivity()
        // The tick that sees the activity stamps its own time: silence counts from there.
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(4)) == nil)
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(8)) == nil)
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(9)) == .idleTimedOut)
    }

    @Test func aPausedUploadReadPausesCurl() throws {
        let f = try Fixture(bodyLength: 100, firstByte: .seconds(10))
        #expect(f.transfer.uploadRead(.pause, now: f.start) == Int(CURL_READFUNC_PAUSE))
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(60)) == nil, "nothing was sent yet")
    }

    @Test func noLimitsNeverExpire() throws {
        let f = try Fixture(firstByte: nil, idle: nil)
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(3600)) == nil)
        f.lines("HTTP/1.1 200 OK\r\n", "\r\n")
        #expect(f.transfer.expiredTimeout(now: f.start + .seconds(3600)) == nil)
    }
}

@Suite struct CurlFailureMappingTests {
    @Test func completeAnswerIsNoFailure() {
        #expect(Transfer.failure(for: CURLE_OK, headDelivered: true) == nil)
    }

    @Test func endWithoutHeadIsAnEmptyResponse() {
        #expect(Transfer.failure(for: CURLE_OK, headDelivered: false) == .transferFailed("empty response"))
    }

    @Test func connectFailuresMayBeRetriedElsewhere() {
        for code in [CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY] {
            let failure = Transfer.failure(for: code, headDelivered: false)
            #expect(failure == .connectFailed(Curl.errorText(code)))
            #expect(failure?.isConnectFailure == true)
        }
    }

    @Test func curlTimeoutIsTheConnectBeforeTheHeadAndSilenceAfter() {
        #expect(Transfer.failure(for: CURLE_OPERATION_TIMEDOUT, headDelivered: false) == .connectTimedOut)
        #expect(Transfer.failure(for: CURLE_OPERATION_TIMEDOUT, headDelivered: true) == .idleTimedOut)
    }

    @Test func otherErrorsAreBrokenTransfersWithCurlsText() {
        let failure = Transfer.failure(for: CURLE_RECV_ERROR, headDelivered: true)
        #expect(failure == .transferFailed(Curl.errorText(CURLE_RECV_ERROR)))
        #expect(failure?.isConnectFailure == false)
        #expect(!Curl.errorText(CURLE_RECV_ERROR).isEmpty)
    }
}
