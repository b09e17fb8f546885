import CCurl
import OllaCore
import OllaEngine

/// Turns an `UpstreamRequest` into easy-handle options and holds the transfer callbacks.
enum RequestOptions {
    /// Sets the options every transfer of a pooled handle shares, once, on a new handle.
    /// Throws the first option libcurl refuses.
    ///
    /// Why once: pooled handles are not reset between transfers (`curl_easy_reset` frees and
    /// re-creates every option and the settings' default strings: with the options set again
    /// after it, ~3 K instructions per request); these options keep their values, and
    /// `apply` gives every option a transfer may change its value or its default each time.
    static func applyShared(to easy: Curl.Easy) throws(CurlError) {
        try Curl.set(easy, CURLOPT_NOSIGNAL, 1)
        // CURLOPT_TCP_NODELAY is on by default (libcurl ≥ 7.50.2, url.c `Curl_init_userdefined`).
        // Model loads keep a connection silent for minutes: keep NATs and firewalls aware of it.
        try Curl.set(easy, CURLOPT_TCP_KEEPALIVE, 1)
        // Bodies pass through as sent: compressed stays compressed.
        try Curl.set(easy, CURLOPT_HTTP_CONTENT_DECODING, 0)
        try Curl.set(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        // No proxy variable in the environment: say so, and libcurl skips its per-transfer lookups.
        if !ProxyEnvironment.isSet { try Curl.set(easy, CURLOPT_NOPROXY, "*") }
        // libcurl's receive buffer stays at its 16 KiB default: one per worker, lent to a
        // transfer per read (libcurl-olla's patch 0004), so its size costs no memory per open
        // stream; 8 KiB halved a 100 MB answer's MB/s in make bench (docs/benchmarks.md).
        try Curl.set(easy, CURLOPT_HEADERFUNCTION, callback: headerCallback)
        try Curl.set(easy, CURLOPT_WRITEFUNCTION, callback: writeCallback)
    }

    /// Sets `request`'s options on `easy`, a handle `applyShared` set up, whatever its last
    /// transfer set: every option any transfer sets gets this transfer's value or libcurl's
    /// default. `context` is the `Transfer` the callbacks find through their user pointer.
    /// Throws the first option libcurl refuses.
    static func apply(
        _ request: UpstreamRequest, to easy: Curl.Easy,
        headerList: Curl.HeaderList, context: UnsafeMutableRawPointer
    ) throws(CurlError) {
        try Curl.set(easy, CURLOPT_URL, request.url)
        try Curl.set(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout.wholeMilliseconds))
        try Curl.set(easy, CURLOPT_HTTPHEADER, pointer: headerList)
        try Curl.set(easy, CURLOPT_HEADERDATA, pointer: context)
        try Curl.set(easy, CURLOPT_WRITEDATA, pointer: context)
        try applyMethod(request, to: easy, context: context)
    }

    /// The method and the body. Every transfer sets all of these, in this order:
    /// `CURLOPT_POSTFIELDS` (the inline body or none; setting it makes the method POST), then
    /// the method (`CURLOPT_POST` / `HTTPGET` / `NOBODY`, each of which also clears a HEAD's
    /// no-body), the body's size (-1: none), the read callback (NULL: libcurl's default, never
    /// called without a streamed body), `CURLOPT_FRESH_CONNECT` and `CURLOPT_CUSTOMREQUEST`
    /// (NULL: the method's own name). libcurl-olla's patch 0003 reads `postfields` to decide
    /// whether a request can be sent again: a streamed body must find it NULL.
    private static func applyMethod(
        _ request: UpstreamRequest, to easy: Curl.Easy, context: UnsafeMutableRawPointer
    ) throws(CurlError) {
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        let custom = request.method
        if let body = transfer.inlineBody {
            // Not COPYPOSTFIELDS: curl reads the body where it is. The transfer holds the array
            // (the exchange's RequestBody, immutable, so its storage never moves) until the
            // handle is removed.
            let refused = body.withUnsafeBytes { bytes -> CurlError? in
                do throws(CurlError) { try Curl.set(easy, CURLOPT_POSTFIELDS, pointer: bytes.baseAddress) } catch { return error }
                return nil
            }
            if let refused { throw refused }
            try Curl.set(easy, CURLOPT_POST, 1)
            try Curl.set(easy, CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(body.count))
            try setReading(nil, on: easy)
            try Curl.set(easy, CURLOPT_FRESH_CONNECT, 0)
            try setCustomRequest(custom == "POST" ? nil : custom, on: easy)
            return
        }
        try Curl.set(easy, CURLOPT_POSTFIELDS, pointer: nil)
        if let length = request.bodyLength {
            try Curl.set(easy, CURLOPT_POST, 1)
            try Curl.set(easy, CURLOPT_POSTFIELDSIZE_LARGE, offset: length)
            try setReading(context, on: easy)
            // A streamed body cannot be sent twice: what the read callback handed out is gone.
            // On a reused keep-alive connection that the backend closes as the request arrives
            // (its idle timeout racing our reuse), libcurl's resend would need exactly that, so
            // the attempt would fail. A new connection costs one connect against a body of over
            // a MiB, and no backend can have timed it out (test_55).
            try Curl.set(easy, CURLOPT_FRESH_CONNECT, 1)
            try setCustomRequest(custom == "POST" ? nil : custom, on: easy)
            return
        }
        if custom == "HEAD" {
            try Curl.set(easy, CURLOPT_NOBODY, 1)
        } else {
            try Curl.set(easy, CURLOPT_HTTPGET, 1)
        }
        try Curl.set(easy, CURLOPT_POSTFIELDSIZE_LARGE, offset: -1)
        try setReading(nil, on: easy)
        try Curl.set(easy, CURLOPT_FRESH_CONNECT, 0)
        try setCustomRequest(custom == "GET" || custom == "HEAD" ? nil : custom, on: easy)
    }

    /// The read callback and its context for a streamed body, or libcurl's defaults (`nil`).
    private static func setReading(_ context: UnsafeMutableRawPointer?, on easy: Curl.Easy) throws(CurlError) {
        if let context {
            try Curl.set(easy, CURLOPT_READFUNCTION, callback: readCallback)
            try Curl.set(easy, CURLOPT_READDATA, pointer: context)
        } else {
            try Curl.set(easy, CURLOPT_READFUNCTION, callback: nil)
            try Curl.set(easy, CURLOPT_READDATA, pointer: nil)
        }
    }

    /// `CURLOPT_CUSTOMREQUEST`: the method's name, or NULL for the method's own.
    private static func setCustomRequest(_ method: String?, on easy: Curl.Easy) throws(CurlError) {
        if let method {
            try Curl.set(easy, CURLOPT_CUSTOMREQUEST, method)
        } else {
            try Curl.set(easy, CURLOPT_CUSTOMREQUEST, pointer: nil)
        }
    }

    /// CURLOPT_HEADERFUNCTION: one header line at a time, CRLF included.
    static let headerCallback: ccurl_data_callback = { buffer, size, count, context in
        let length = size * count
        guard let buffer, let context else { return length }
        withTransfer(context) { $0.headerLine(UnsafeRawBufferPointer(start: buffer, count: length)) }
        return length
    }

    /// CURLOPT_WRITEFUNCTION: a piece of the response body, valid only during the call.
    static let writeCallback: ccurl_data_callback = { buffer, size, count, context in
        let length = size * count
        guard let buffer, let context else { return length }
        return withTransfer(context) { $0.bodyReceived(UnsafeRawBufferPointer(start: buffer, count: length)) }
    }

    /// CURLOPT_READFUNCTION: fills curl's buffer with the next piece of the request body.
    static let readCallback: ccurl_data_callback = { buffer, size, count, context in
        guard let buffer, let context else { return 0 }
        let destination = UnsafeMutableRawBufferPointer(start: buffer, count: size * count)
        return withTransfer(context) { $0.uploadRead($0.delegate.readUpload(into: destination), now: .now) }
    }

    /// Lends the `Transfer` behind a callback's user pointer to `body`, without a retain.
    ///
    /// Why not `takeUnretainedValue()`: that retains the transfer for the call, and reading its
    /// `delegate` out of it retains the delegate too: two retain/release pairs, ~80
    /// instructions per forwarded chunk in the write callback. Lent this way
    /// (`_withUnsafeGuaranteedRef`), the transfer and its `let delegate` are borrowed as they
    /// are. Safe because libcurl calls these callbacks only for a handle in the multi handle,
    /// and the transport's `TransferTable` holds the transfer until that handle is removed,
    /// which never happens inside a callback (a delegate's cancel is queued, run by the next
    /// round's `process`).
    @inline(__always)
    private static func withTransfer<Result>(
        _ context: UnsafeMutableRawPointer, _ body: (Transfer) -> Result
    ) -> Result {
        Unmanaged<Transfer>.fromOpaque(context)._withUnsafeGuaranteedRef(body)
    }
}
