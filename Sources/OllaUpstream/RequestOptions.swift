import CCurl
import OllaCore
import OllaEngine

/// Turns an `UpstreamRequest` into easy-handle options and holds the transfer callbacks.
enum RequestOptions {
    static func apply(
        _ request: UpstreamRequest, to easy: Curl.Easy,
        headerList: UnsafeMutablePointer<curl_slist>?, context: UnsafeMutableRawPointer
    ) {
        Curl.set(easy, CURLOPT_URL, request.url)
        Curl.set(easy, CURLOPT_NOSIGNAL, 1)
        Curl.set(easy, CURLOPT_TCP_NODELAY, 1)
        // Model loads keep a connection silent for minutes: keep NATs and firewalls aware of it.
        Curl.set(easy, CURLOPT_TCP_KEEPALIVE, 1)
        Curl.set(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout.wholeMilliseconds))
        // Bodies pass through as sent: compressed stays compressed.
        Curl.set(easy, CURLOPT_HTTP_CONTENT_DECODING, 0)
        Curl.set(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        Curl.set(easy, CURLOPT_HTTPHEADER, pointer: headerList)
        Curl.set(easy, CURLOPT_HEADERFUNCTION, callback: headerCallback)
        Curl.set(easy, CURLOPT_HEADERDATA, pointer: context)
        Curl.set(easy, CURLOPT_WRITEFUNCTION, callback: writeCallback)
        Curl.set(easy, CURLOPT_WRITEDATA, pointer: context)
        applyMethod(request, to: easy, context: context)
    }

    private static func applyMethod(_ request: UpstreamRequest, to easy: Curl.Easy, context: UnsafeMutableRawPointer) {
        if let body = request.inlineBody {
            Curl.set(easy, CURLOPT_POST, 1)
            Curl.set(easy, CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(body.count))
            body.withUnsafeBytes { Curl.set(easy, CURLOPT_COPYPOSTFIELDS, pointer: $0.baseAddress) }
            if request.method != "POST" { Curl.set(easy, CURLOPT_CUSTOMREQUEST, request.method) }
            return
        }
        if let length = request.bodyLength {
            Curl.set(easy, CURLOPT_POST, 1)
            Curl.set(easy, CURLOPT_READFUNCTION, callback: readCallback)
            Curl.set(easy, CURLOPT_READDATA, pointer: context)
            Curl.set(easy, CURLOPT_POSTFIELDSIZE_LARGE, offset: length)
            if request.method != "POST" { Curl.set(easy, CURLOPT_CUSTOMREQUEST, request.method) }
            return
        }
        switch request.method {
        case "GET": Curl.set(easy, CURLOPT_HTTPGET, 1)
        case "HEAD": Curl.set(easy, CURLOPT_NOBODY, 1)
        default: Curl.set(easy, CURLOPT_CUSTOMREQUEST, request.method)
        }
    }

    /// Header lines for CURLOPT_HTTPHEADER. curl would add `Expect: 100-continue` (and wait a
    /// second for it), `Accept: */*` and a form Content-Type on its own: an empty `Name:`
    /// line stops each of those unless the client sent the header itself.
    static func headerLines(for request: UpstreamRequest) -> [String] {
        var lines: [String] = []
        lines.reserveCapacity(request.headers.count + 3)
        var sawAccept = false
        var sawContentType = false
        for header in request.headers {
            if HTTPHeaderName.matches(header.name, "accept") { sawAccept = true }
            if HTTPHeaderName.matches(header.name, "content-type") { sawContentType = true }
            // curl reads `Name:` as "remove"; `Name;` sends the header with an empty value.
            lines.append(header.value.isEmpty ? header.name + ";" : header.name + ": " + header.value)
        }
        lines.append("Expect:")
        if !sawAccept { lines.append("Accept:") }
        if !sawContentType && request.bodyLength != nil { lines.append("Content-Type:") }
        return lines
    }

    static let headerCallback: ccurl_data_callback = { buffer, size, count, context in
        let length = size * count
        guard let buffer, let context else { return length }
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        transfer.headerLine(UnsafeRawBufferPointer(start: buffer, count: length))
        return length
    }

    static let writeCallback: ccurl_data_callback = { buffer, size, count, context in
        let length = size * count
        guard let buffer, let context else { return length }
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        transfer.lastActivity = .now
        if transfer.abandoned { return length }
        switch transfer.delegate.upstreamBodyReceived(UnsafeRawBufferPointer(start: buffer, count: length)) {
        case .accepted:
            return length
        case .pause:
            transfer.receivePausedSince = .now
            return Int(CURL_WRITEFUNC_PAUSE)
        }
    }

    static let readCallback: ccurl_data_callback = { buffer, size, count, context in
        guard let buffer, let context else { return 0 }
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        let destination = UnsafeMutableRawBufferPointer(start: buffer, count: size * count)
        switch transfer.delegate.readUpload(into: destination) {
        case .bytes(let n):
            transfer.uploadProgressed(n, now: .now)
            return n
        case .end:
            transfer.uploadFinished(now: .now)
            return 0
        case .pause:
            return Int(CURL_READFUNC_PAUSE)
        }
    }
}
