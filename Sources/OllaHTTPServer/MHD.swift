import CMicroHTTPD
import Glibc
import OllaCore
import OllaEngine

/// The raw libmicrohttpd calls Olla makes, one Swift function per C call, each mapping its
/// result to a value, a Bool or an error. Nothing outside this file calls libmicrohttpd
/// (the callbacks it calls live in `ServerCallbacks` and `LibraryErrorBodies`), and nothing
/// outside this target sees an MHD type.
enum MHD {
    static let yes = MHD_Result.YES
    static let no = MHD_Result.NO

    // MARK: Daemon

    /// Whether the linked libmicrohttpd is Olla's patched build (scripts/libmicrohttpd/).
    static var isPatchedBuild: Bool { cmhd_patched_build() == 1 }

    /// One `MHD_OptionItem` of the daemon's option array.
    static func option(_ kind: MHD_OPTION, _ value: Int, _ pointer: UnsafeMutableRawPointer? = nil) -> MHD_OptionItem {
        MHD_OptionItem(option: kind, value: value, ptr_value: pointer)
    }

    /// Starts a daemon (`MHD_start_daemon`, options as one MHD_OPTION_ARRAY, terminated
    /// here); nil when libmicrohttpd refuses.
    static func startDaemon(
        flags: UInt32, handler: MHD_AccessHandlerCallback, context: UnsafeMutableRawPointer,
        options: [MHD_OptionItem]
    ) -> OpaquePointer? {
        var items = options + [option(.END, 0)]
        return items.withUnsafeMutableBufferPointer { buffer in
            cmhd_start_daemon(flags, handler, context, buffer.baseAddress)
        }
    }

    /// The daemon's epoll fd (`MHD_DAEMON_INFO_EPOLL_FD`), or nil without one.
    static func epollFD(_ daemon: OpaquePointer) -> Int32? {
        let fd = cmhd_daemon_epoll_fd(daemon)
        return fd >= 0 ? fd : nil
    }

    /// Runs the daemon once without blocking. It fails only for a daemon with its own
    /// threads or one being stopped, which the worker never runs: a bug.
    static func run(_ daemon: OpaquePointer) {
        let result = MHD_run(daemon)
        assert(result == .YES, "MHD_run failed")
    }

    /// Runs the daemon once like `run`, without asking its epoll set for events
    /// (`olla_MHD_run_unpolled`, patch 0005): for rounds where the worker's own wait reported
    /// the daemon's epoll fd not ready, so that set holds none. Fails only like `run`: a bug.
    static func runUnpolled(_ daemon: OpaquePointer) {
        let result = olla_MHD_run_unpolled(daemon)
        assert(result == .YES, "olla_MHD_run_unpolled failed")
    }

    /// Milliseconds until the daemon has timeouts to check, or nil when none is pending.
    static func timeoutMilliseconds(_ daemon: OpaquePointer) -> Int? {
        let timeout = cmhd_timeout_ms(daemon)
        return timeout < 0 ? nil : Int(clamping: timeout)
    }

    /// Stops accepting (`MHD_quiesce_daemon`); returns the listening socket for the caller
    /// to close, or nil when there is none (already quiesced).
    static func quiesce(_ daemon: OpaquePointer) -> Int32? {
        let fd = cmhd_quiesce_daemon(daemon)
        return fd >= 0 ? fd : nil
    }

    static func stopDaemon(_ daemon: OpaquePointer) {
        MHD_stop_daemon(daemon)
    }

    /// Installs the writer of libmicrohttpd's own error answers' bodies for every daemon in
    /// the process (`olla_MHD_set_error_body_callback`, Olla's patched build only).
    static func setErrorBodyWriter(_ writer: OLLA_MHD_ErrorBodyCallback) {
        olla_MHD_set_error_body_callback(writer)
    }

    // MARK: Connections

    static func suspend(_ connection: OpaquePointer) {
        MHD_suspend_connection(connection)
    }

    static func resume(_ connection: OpaquePointer) {
        MHD_resume_connection(connection)
    }

    /// Whether libmicrohttpd holds `connection` suspended now. A suspension asked for inside
    /// a content reader that returned bytes takes effect only once they are sent (patch 0011):
    /// until then this answers false.
    static func isSuspended(_ connection: OpaquePointer) -> Bool {
        cmhd_connection_suspended(connection) != 0
    }

    /// Sends `bytes` as the next chunk of the chunked answer on `connection` if it waits
    /// suspended and idle (`olla_MHD_send_chunk`, patch 0013): `.sent` whole (it stays
    /// suspended), `.buffered` (libmicrohttpd keeps the rest: resume it), `.notTaken`.
    static func sendChunk(_ connection: OpaquePointer, _ bytes: UnsafeRawBufferPointer) -> ChunkSend {
        switch olla_MHD_send_chunk(connection, bytes.baseAddress, bytes.count) {
        case OLLA_MHD_CHUNK_SENT: .sent
        case OLLA_MHD_CHUNK_BUFFERED: .buffered
        default: .notTaken
        }
    }

    /// The connection's socket, or nil when libmicrohttpd has none to report.
    static func connectionFD(_ connection: OpaquePointer) -> Int32? {
        let fd = cmhd_connection_fd(connection)
        return fd >= 0 ? fd : nil
    }

    /// Whether a content reader on `connection` that returns `cmhd_reader_more_room` gets a
    /// larger buffer (`olla_MHD_connection_chunk_can_grow`, patch 0007): its pool is below
    /// its limit and has not failed to grow.
    static func chunkCanGrow(_ connection: OpaquePointer) -> Bool {
        olla_MHD_connection_chunk_can_grow(connection) == .YES
    }

    /// The client's address as text ("unknown" when libmicrohttpd has none).
    static func peerAddress(_ connection: OpaquePointer) -> String {
        SocketAddress.text(cmhd_connection_peer(connection))
    }

    /// Every request header in arrival order, names as the client spelled them.
    static func requestHeaders(_ connection: OpaquePointer) -> [HTTPHeader] {
        var headers: [HTTPHeader] = []
        // Counted first (no iterator: a walk of the connection's list), so the array is
        // allocated once instead of growing through 1, 2 and 4 fields.
        headers.reserveCapacity(Int(max(0, MHD_get_connection_values(connection, .HEADER_KIND, nil, nil))))
        withUnsafeMutablePointer(to: &headers) { pointer in
            // Returns the number of headers, which the array already holds.
            _ = MHD_get_connection_values_n(connection, .HEADER_KIND, collectHeader, pointer)
        }
        return headers
    }

    /// The request's method as a String: the common ones as static strings (no copy, no
    /// UTF-8 check), any other copied. libmicrohttpd hands over the method token as sent.
    static func method(_ method: UnsafePointer<CChar>?) -> String {
        guard let method else { return "GET" }
        if strcmp(method, MHD_HTTP_METHOD_POST) == 0 { return "POST" }
        if strcmp(method, MHD_HTTP_METHOD_GET) == 0 { return "GET" }
        return String(cString: method)
    }

    /// The request's HTTP version as a String, the two libmicrohttpd accepts as static strings.
    static func version(_ version: UnsafePointer<CChar>?) -> String {
        guard let version else { return "HTTP/1.1" }
        if strcmp(version, MHD_HTTP_VERSION_1_1) == 0 { return "HTTP/1.1" }
        if strcmp(version, MHD_HTTP_VERSION_1_0) == 0 { return "HTTP/1.0" }
        return String(cString: version)
    }

    /// Whether the access handler's `version` argument is HTTP/1.0 (libmicrohttpd refuses
    /// versions other than 1.0 and 1.1 itself).
    static func isHTTP10(_ version: UnsafePointer<CChar>?) -> Bool {
        guard let version else { return false }
        return strcmp(version, MHD_HTTP_VERSION_1_0) == 0
    }

    /// The value of the first request header named `name` (any letter case), or nil.
    static func requestHeader(_ name: String, of connection: OpaquePointer) -> String? {
        MHD_lookup_connection_value(connection, .HEADER_KIND, name).map { String(cString: $0) }
    }

    /// With the lengths libmicrohttpd keeps (`MHD_get_connection_values_n`), no `strlen` of
    /// each name and value: the same bytes, as libmicrohttpd refuses a head line holding a NUL
    /// (patch 0003's check), so a name or value ends where its NUL is. Common names and values
    /// (`Host`, `Content-Type`, `application/json`...) come back as literals (`HeaderText`).
    private static let collectHeader: MHD_KeyValueIteratorN = { cls, _, key, keySize, value, valueSize in
        guard let cls, let key else { return MHD_Result.YES }
        let headers = cls.assumingMemoryBound(to: [HTTPHeader].self)
        let name = HeaderText.decode(UnsafeRawBufferPointer(start: key, count: keySize))
        let text = value.map { HeaderText.decode(UnsafeRawBufferPointer(start: $0, count: valueSize)) } ?? ""
        headers.pointee.append(HTTPHeader(name, text))
        return MHD_Result.YES
    }

    // MARK: Responses

    /// Queues a complete in-memory response (errors and local answers). `.NO` (the
    /// connection is closed) when libmicrohttpd cannot allocate or queue it.
    static func queue(_ response: LocalResponse, on connection: OpaquePointer) -> MHD_Result {
        let handle = response.body.withUnsafeBytes { bytes in
            MHD_create_response_from_buffer(
                bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
        }
        guard let handle else { return no }
        return queue(handle, status: response.status, headers: response.headers, on: connection)
    }

    /// Queues a response whose body `reader` produces as it arrives. `context` is retained
    /// for the response (released by `free`, which libmicrohttpd calls when it is done with
    /// the response) and released here when the response cannot be created.
    static func queueStreaming(
        status: Int, headers: [HTTPHeader], contentLength: UInt64?, blockSize: Int,
        context: AnyObject, reader: MHD_ContentReaderCallback,
        free: MHD_ContentReaderFreeCallback, on connection: OpaquePointer
    ) -> MHD_Result {
        let size = contentLength ?? cmhd_size_unknown
        let retained = Unmanaged.passRetained(context)
        guard let handle = MHD_create_response_from_callback(size, blockSize, reader, retained.toOpaque(), free) else {
            retained.release()
            return no
        }
        return queue(handle, status: status, headers: headers, on: connection)
    }

    /// Adds the headers, queues the response and drops Olla's reference to it (the connection
    /// keeps its own; destroying the last one calls the reader's free callback).
    private static func queue(
        _ handle: OpaquePointer, status: Int, headers: [HTTPHeader], on connection: OpaquePointer
    ) -> MHD_Result {
        addHeaders(headers, to: handle)
        let result = MHD_queue_response(connection, UInt32(status), handle)
        MHD_destroy_response(handle)
        return result
    }

    /// Adds every header in one call. Usually as the head's lines, written here
    /// (`ResponseHeaderLines`, `olla_MHD_add_response_header_lines`, patch 0017): libmicrohttpd
    /// copies them once into its allocation and once into the reply. A list with a header
    /// libmicrohttpd has rules for goes as names and values back to back, each ended by a NUL
    /// (`olla_MHD_add_response_headers`, patch 0008), which libmicrohttpd splits, checks and
    /// copies into one allocation per response. One at a time
    /// (`MHD_add_response_header`) it cost a `calloc` and two `strdup`s per header, and three
    /// `free`s when the response was destroyed: ~1.4 K instructions per header, 11 headers
    /// on a small answer (`make bench-instructions`).
    /// libmicrohttpd leaves out what it writes itself (`Content-Length`,
    /// `Transfer-Encoding: chunked` it decides, `Date`... when told so) and names or values
    /// with CR/LF (response splitting); a left-out header is not sent, which is exactly what
    /// those rules want, so the refusal needs no further handling. A name or value is cut at
    /// a NUL byte, as passing it as a C string did before: a NUL can never end one pair and
    /// start another.
    static func addHeaders(_ headers: [HTTPHeader], to response: OpaquePointer) {
        guard !headers.isEmpty else { return }
        // The headers are read in place, by index, through the array's buffer: a
        // `for header in headers` loop copied each one out (a retain and a release of both of
        // its Strings), twice over, ~1.4 K instructions per small answer (`make
        // bench-instructions`).
        headers.withUnsafeBufferPointer { list in
            // Room for the lines (4 bytes besides each name and value), which is also room
            // for the pairs (2).
            let capacity = ResponseHeaderLines.capacity(of: list)
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
                if let lines = ResponseHeaderLines.write(list, into: buffer) {
                    buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: lines.count) { text in
                        _ = olla_MHD_add_response_header_lines(response, text, lines.count, lines.hasDate ? 1 : 0)
                    }
                    return
                }
                var end = 0
                for i in list.indices {
                    end = appendCString(list[i].name, to: buffer, at: end)
                    end = appendCString(list[i].value, to: buffer, at: end)
                }
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: end) { block in
                    _ = olla_MHD_add_response_headers(response, block, end)
                }
            }
        }
    }

    /// Writes `text`'s bytes up to its first NUL, then a NUL, at `offset`; returns the offset
    /// after it. `buffer` has room for all of `text`'s bytes and the NUL.
    private static func appendCString(_ text: String, to buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> Int {
        // Copied by the UTF-8 view's own bulk copy (a memcpy for a native or literal String,
        // inline bytes for a small one), then cut at a NUL in the copy: `withUTF8` needed a
        // mutable copy of the String (a retain and a release) and a closure per name and value.
        let destination = UnsafeMutableBufferPointer(rebasing: buffer[offset...])
        var count = destination.initialize(from: text.utf8).1
        if count > 0, let nul = memchr(destination.baseAddress!, 0, count) {
            count = UnsafeRawPointer(nul) - UnsafeRawPointer(destination.baseAddress!)
        }
        buffer[offset + count] = 0
        return offset + count + 1
    }
}
