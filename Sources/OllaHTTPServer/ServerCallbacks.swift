import CMicroHTTPD
import OllaCore
import OllaEngine

/// The C callbacks libmicrohttpd calls. They are non-capturing and find their objects
/// through the `cls` pointers: the server (unretained, it outlives the daemon) and the
/// per-request `RequestContext` (retained, see its ownership note).
enum ServerCallbacks {
    /// The block libmicrohttpd allocates, zeroed, with every proxied response and hands the
    /// reader, in bytes. A sized body is read through it: as large as the body, at most 32 KiB
    /// (bulk transfers). A body of unknown length (streams) goes out chunked to an HTTP/1.1
    /// client, and libmicrohttpd reads it straight into the write buffer in the connection's
    /// pool, never through the block: 64 bytes (it must not be 0). To an HTTP/1.0 client it goes
    /// out close-delimited through the block: 4 KiB. Measured by `make bench-instructions`: the
    /// fixed 32 KiB block was 32 KiB of heap per open stream, a 4 KiB one 4 KiB.
    /// Source: libmicrohttpd 0.9.75, response.c `MHD_create_response_from_callback`,
    /// connection.c `try_ready_chunked_body` / `try_ready_normal_body`.
    static func readerBlockSize(contentLength: UInt64?, http10: Bool) -> Int {
        guard let contentLength else { return http10 ? 4 * 1024 : 64 }
        return Int(min(max(contentLength, 1), 32 * 1024))
    }

    /// First sight of a request: the raw target, before any decoding. Its return value
    /// becomes the per-request pointer.
    static let uriLog: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, OpaquePointer?) -> UnsafeMutableRawPointer? = { cls, uri, connection in
        guard let cls, let connection else { return nil }
        let context = Unmanaged<HTTPServer>.fromOpaque(cls)._withUnsafeGuaranteedRef { server in
            RequestContext(connection: connection, rawTarget: uri.map { String(cString: $0) } ?? "/", server: server)
        }
        return Unmanaged.passRetained(context).toOpaque()
    }

    /// The server and the request's context are lent to the call, not retained for it
    /// (`_withUnsafeGuaranteedRef`): the server outlives its daemon, and the per-request
    /// pointer holds a retain of the context until the completion callback, which never runs
    /// inside this one. `takeUnretainedValue` cost a retain and a release of each per call,
    /// four calls per small request (~0.3 K instructions, `make bench-instructions`).
    static let access: MHD_AccessHandlerCallback = { cls, connection, _, method, version, uploadData, uploadSize, perRequest in
        guard let cls, let connection, let perRequest, let pointer = perRequest.pointee else { return MHD_Result.NO }
        return Unmanaged<HTTPServer>.fromOpaque(cls)._withUnsafeGuaranteedRef { server in
            server.worker.assertInLoop()
            return Unmanaged<RequestContext>.fromOpaque(pointer)._withUnsafeGuaranteedRef { context in
                handle(server: server, context: context, method: method, version: version,
                       upload: uploadData, uploadSize: uploadSize)
            }
        }
    }

    private static func handle(
        server: HTTPServer, context: RequestContext, method: UnsafePointer<CChar>?,
        version: UnsafePointer<CChar>?, upload: UnsafePointer<CChar>?, uploadSize: UnsafeMutablePointer<Int>?
    ) -> MHD_Result {
        let pending = uploadSize?.pointee ?? 0
        switch context.phase {
        case .new:
            return begin(server: server, context: context, method: method, version: version)
        case .answered:
            uploadSize?.pointee = 0  // the answer is out: discard the rest of the body
            return MHD.yes
        case .rejected(let response):
            if pending > 0 {
                uploadSize?.pointee = 0
                return MHD.yes
            }
            context.phase = .answered
            return MHD.queue(response, on: context.connection)
        case .proxying:
            guard let exchange = context.exchange else { return MHD.no }
            if pending > 0, let upload {
                uploadSize?.pointee = 0
                let bytes = UnsafeRawBufferPointer(start: upload, count: pending)
                if let error = exchange.clientBodyReceived(bytes) {
                    context.phase = .rejected(.error(error, flavor: exchange.route.flavor, requestID: exchange.requestID))
                }
                return MHD.yes
            }
            // No body bytes pending: the body is complete (the exchange ends it on the first
            // such call) and libmicrohttpd asks for the answer.
            return answer(context: context, exchange: exchange, http10: MHD.isHTTP10(version))
        }
    }

    private static func begin(
        server: HTTPServer, context: RequestContext, method: UnsafePointer<CChar>?, version: UnsafePointer<CChar>?
    ) -> MHD_Result {
        let head = InboundHead(
            method: MHD.method(method),
            rawTarget: context.rawTarget,
            httpVersion: MHD.version(version),
            headers: MHD.requestHeaders(context.connection),
            peerAddress: MHD.peerAddress(context.connection))
        switch server.engine.begin(head: head, client: context, transport: server.transport) {
        case .respond(let response) where waitsForBody(response, on: context.connection):
            context.phase = .rejected(response)  // queued on the last call: the connection stays open
            return MHD.yes
        case .respond(let response):
            context.phase = .answered
            return MHD.queue(response, on: context.connection)
        case .proxy(let exchange):
            context.phase = .proxying
            context.exchange = exchange
            exchange.start()
            return MHD.yes
        }
    }

    /// Whether a local answer decided at the first call is queued after the request's body
    /// (keeping the connection open) rather than at once (see `LocalAnswerTiming`).
    private static func waitsForBody(_ response: LocalResponse, on connection: OpaquePointer) -> Bool {
        LocalAnswerTiming.waitsForBody(
            contentLength: MHD.requestHeader("Content-Length", of: connection),
            transferEncoding: MHD.requestHeader("Transfer-Encoding", of: connection),
            expect: MHD.requestHeader("Expect", of: connection),
            answerCloses: response.headers.contains { header in
                header.name.equalsIgnoringASCIICase("connection") && header.value.equalsIgnoringASCIICase("close")
            })
    }

    private static func answer(context: RequestContext, exchange: Exchange, http10: Bool) -> MHD_Result {
        switch exchange.pollAnswer() {
        case .wait:
            return MHD.yes
        case .local(let response):
            context.phase = .answered
            return MHD.queue(response, on: context.connection)
        case .proxied(let status, let headers, let contentLength):
            context.phase = .answered
            // Without a length, libmicrohttpd sends the body chunked to an HTTP/1.1 client
            // (its reader may ask for a larger buffer; a chunk for a client that waits idle is
            // sent at once, `RequestContext.sendChunk`) and close-delimited to HTTP/1.0.
            let chunked = contentLength == nil && !http10
            context.responseQueued(stallTimeout: exchange.clientStallTimeout, chunked: chunked)
            return MHD.queueStreaming(
                status: status, headers: headers, contentLength: contentLength,
                blockSize: readerBlockSize(contentLength: contentLength, http10: http10),
                context: context, reader: chunked ? chunkedReader : reader, free: releaseReader,
                on: context.connection)
        }
    }

    /// Fills libmicrohttpd's buffer from the exchange (a body of known length, or one sent
    /// close-delimited to an HTTP/1.0 client: read through the response's block). Returning 0
    /// is only allowed after the exchange suspended the connection: otherwise libmicrohttpd
    /// would poll the reader in a loop. The read that hands over the last bytes the exchange
    /// has suspends the connection already (`suspendingWhenDrained`): libmicrohttpd-olla
    /// holds that suspension until the bytes are sent, instead of calling the reader once
    /// more only to be told to suspend (patch 0011; measured by `make bench-instructions`).
    static let reader: MHD_ContentReaderCallback = { cls, _, buffer, max in
        guard let cls, let buffer else { return cmhd_reader_end_with_error }
        // Lent, not retained: the queued response holds a retain of the context until its
        // free callback, which never runs inside a read.
        return Unmanaged<RequestContext>.fromOpaque(cls)._withUnsafeGuaranteedRef { context in
            read(context, into: buffer, max: max)
        }
    }

    private static func read(_ context: RequestContext, into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        context.server.worker.assertInLoop()
        guard let exchange = context.exchange else { return cmhd_reader_end_with_error }
        switch exchange.readResponse(into: UnsafeMutableRawBufferPointer(start: buffer, count: max),
                                     suspendingWhenDrained: true) {
        case .bytes(let n):
            context.clientRead()
            return n
        case .suspended:
            return 0
        case .end:
            return finished(context, aborted: false)
        case .abort:
            return finished(context, aborted: true)
        }
    }

    /// `reader` for a body libmicrohttpd sends chunked, which it reads straight into its
    /// write buffer in the connection's pool. That pool starts small (patch 0007), so the
    /// buffer may be shorter than the record (NDJSON line, SSE event) the exchange would send
    /// next, and one record per chunk is the contract (docs/api.md "Bodies", test_43). When a
    /// read fills the whole buffer without ending a record and libmicrohttpd can give a larger
    /// one, the bytes are kept aside (`RequestContext.keepRecordStart`) and the reader answers
    /// `cmhd_reader_more_room`: the pool grows and the next call starts with them. At the
    /// pool's limit the record is split, as it was before at the fixed pool's size.
    static let chunkedReader: MHD_ContentReaderCallback = { cls, _, buffer, max in
        guard let cls, let buffer else { return cmhd_reader_end_with_error }
        // Lent, as in `reader`.
        return Unmanaged<RequestContext>.fromOpaque(cls)._withUnsafeGuaranteedRef { context in
            readChunked(context, into: buffer, max: max)
        }
    }

    private static func readChunked(_ context: RequestContext, into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        context.server.worker.assertInLoop()
        guard let exchange = context.exchange else { return cmhd_reader_end_with_error }
        let destination = UnsafeMutableRawBufferPointer(start: buffer, count: max)
        let kept = context.takeKeptRecordStart(into: destination)
        if kept == max {  // the buffer could not grow after all (no memory): split here
            context.clientRead()
            return kept
        }
        switch exchange.readResponse(into: UnsafeMutableRawBufferPointer(rebasing: destination[kept...]),
                                     suspendingWhenDrained: true) {
        case .bytes(let n):
            let filled = kept + n
            if filled == max, destination[max - 1] != lineFeed, MHD.chunkCanGrow(context.connection) {
                context.keepRecordStart(UnsafeRawBufferPointer(destination))
                return cmhd_reader_more_room
            }
            context.clientRead()
            return filled
        case .suspended:
            // The exchange suspended the connection; what was kept waits for the rest.
            if kept > 0 { context.keepRecordStart(UnsafeRawBufferPointer(rebasing: destination[..<kept])) }
            return 0
        case .end where kept > 0:
            context.clientRead()
            return kept  // the next call finds the end again
        case .end:
            return finished(context, aborted: false)
        case .abort:
            return finished(context, aborted: true)
        }
    }

    /// The readers' answer once the exchange's answer ended (`aborted`: cut short).
    private static func finished(_ context: RequestContext, aborted: Bool) -> Int {
        context.responseEnded()
        return aborted ? cmhd_reader_end_with_error : cmhd_reader_end_of_stream
    }

    /// The byte that ends every NDJSON line and SSE event.
    private static let lineFeed: UInt8 = 0x0A

    static let releaseReader: MHD_ContentReaderFreeCallback = { cls in
        guard let cls else { return }
        Unmanaged<RequestContext>.fromOpaque(cls).release()
    }

    /// The request is over: sent completely, or the client went away (every code other than
    /// COMPLETED_OK means the client did not get the whole answer).
    static let completed: MHD_RequestCompletedCallback = { _, _, perRequest, code in
        guard let perRequest, let pointer = perRequest.pointee else { return }
        perRequest.pointee = nil
        let context = Unmanaged<RequestContext>.fromOpaque(pointer).takeRetainedValue()
        context.server.worker.assertInLoop()
        context.stopWatching()
        if let exchange = context.exchange {
            exchange.clientCompleted(successfully: code == .REQUEST_TERMINATED_COMPLETED_OK)
            context.exchange = nil
        }
    }

    /// A connection starts or ends. At its end (called before libmicrohttpd closes the socket)
    /// the socket leaves the hang-up watch.
    static let connectionNotified: MHD_NotifyConnectionCallback = { cls, connection, _, code in
        guard code == .CONNECTION_NOTIFY_CLOSED, let cls, let connection,
              let fd = MHD.connectionFD(connection) else { return }
        let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
        server.connectionClosed(socket: fd)
    }
}
