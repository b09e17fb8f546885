import CCurl
import OllaCore
import OllaEngine

/// Turns an `UpstreamRequest` into easy-handle options and holds the transfer callbacks.
enum RequestOptions {
    /// Sets every option of `request` on `easy`. `context` is the `Transfer` the callbacks
    /// find through their user pointer. Throws the first option libcurl refuses.
    static func apply(
        _ request: UpstreamRequest, to easy: Curl.Easy,
        headerList: Curl.HeaderList, context: UnsafeMutableRawPointer
    ) throws(CurlError) {
        try Curl.set(easy, CURLOPT_URL, request.url)
        try Curl.set(easy, CURLOPT_NOSIGNAL, 1)
        // CURLOPT_TCP_NODELAY is on by default (libcurl ≥ 7.50.2, url.c `Curl_init_userdefined`).
        // Model loads keep a connection silent for minutes: keep NATs and firewalls aware of it.
        try Curl.set(easy, CURLOPT_TCP_KEEPALIVE, 1)
        try Curl.set(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout.wholeMilliseconds))
        // Bodies pass through as sent: compressed stays compressed.
        try Curl.set(easy, CURLOPT_HTTP_CONTENT_DECODING, 0)
        try Curl.set(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        // No proxy variable in the environment: say so, and libcurl skips its per-transfer lookups.
        if !ProxyEnvironment.isSet { try Curl.set(easy, CURLOPT_NOPROXY, "*") }
        // libcurl's receive buffer stays at its 16 KiB default: one per worker, lent to a
        // transfer per read (libcurl-olla's patch 0004), so its size costs no memory per open
        // stream; 8 KiB halved a 100 MB answer's MB/s in make bench (docs/benchmarks.md).
        try Curl.set(easy, CURLOPT_HTTPHEADER, pointer: headerList)
        try Curl.set(easy, CURLOPT_HEADERFUNCTION, callback: headerCallback)
        try Curl.set(easy, CURLOPT_HEADERDATA, pointer: context)
        try Curl.set(easy, CURLOPT_WRITEFUNCTION, callback: writeCallback)
        try Curl.set(easy, CURLOPT_WRITEDATA, pointer: context)
        try applyMethod(request, to: easy, context: context)
    }

    private static func applyMethod(
        _ request: UpstreamRequest, to easy: Curl.Easy, context: UnsafeMutableRawPointer
    ) throws(CurlError) {
        if let body = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().inlineBody {
            try Curl.set(easy, CURLOPT_POST, 1)
            try Curl.set(easy, CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(body.count))
            // Not COPYPOSTFIELDS: curl reads the body where it is. The transfer holds the array
            // (the exchange's RequestBody, immutable, so its storage never moves) until the
            // handle is removed.
            let refused = body.withUnsafeBytes { bytes -> CurlError? in
                do throws(CurlError) { try Curl.set(easy, CURLOPT_POSTFIELDS, pointer: bytes.baseAddress) } catch { return error }
                return nil
            }
            if let refused { throw refused }
            if request.method != "POST" { try Curl.set(easy, CURLOPT_CUSTOMREQUEST, request.method) }
            return
        }
        if let length = request.bodyLength {
            try Curl.set(easy, CURLOPT_POST, 1)
            try Curl.set(easy, CURLOPT_READFUNCTION, callback: readCallback)
            try Curl.set(easy, CURLOPT_READDATA, pointer: context)
            try Curl.set(easy, CURLOPT_POSTFIELDSIZE_LARGE, offset: length)
            // A streamed body cannot be sent twice: what the read callback handed out is gone.
            // On a reused keep-alive connection that the backend closes as the request arrives
            // (its idle timeout racing our reuse), libcurl's resend would need exactly that, so
            // the attempt would fail. A new connection costs one connect against a body of over
            // a MiB, and no backend can have timed it out (test_55).
            try Curl.set(easy, CURLOPT_FRESH_CONNECT, 1)
            if request.method != "POST" { try Curl.set(easy, CURLOPT_CUSTOMREQUEST, request.method) }
            return
        }
        switch request.method {
        case "GET": try Curl.set(easy, CURLOPT_HTTPGET, 1)
        case "HEAD": try Curl.set(easy, CURLOPT_NOBODY, 1)
        default: try Curl.set(easy, CURLOPT_CUSTOMREQUEST, request.method)
        }
    }

    /// CURLOPT_HEADERFUNCTION: one header line at a time, CRLF included.
    static let headerCallback: ccurl_data_callback = { buffer, size, count, context in
        let length = size * count
        guard let buffer, let context else { return length }
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        transfer.headerLine(UnsafeRawBufferPointer(start: buffer, count: length))
        return length
    }

    /// CURLOPT_WRITEFUNCTION: a piece of the response body, valid only during the call.
    static let writeCallback: ccurl_data_callback = { buffer, size, count, context in
        let length = size * count
        guard let buffer, let context else { return length }
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        transfer.noteActivity()
        if transfer.abandoned { return length }
        switch transfer.delegate.upstreamBodyReceived(UnsafeRawBufferPointer(start: buffer, count: length)) {
        case .accepted:
            return length
        case .pause:
            return Int(CURL_WRITEFUNC_PAUSE)
        }
    }

    /// CURLOPT_READFUNCTION: fills curl's buffer with the next piece of the request body.
    static let readCallback: ccurl_data_callback = { buffer, size, count, context in
        guard let buffer, let context else { return 0 }
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        let destination = UnsafeMutableRawBufferPointer(start: buffer, count: size * count)
        return transfer.uploadRead(transfer.delegate.readUpload(into: destination), now: .now)
    }
}
