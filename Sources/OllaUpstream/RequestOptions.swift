import CCurl
import Glibc
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

    /// Sets `request`'s options on `handle` (set up by `applyShared`), whatever its last
    /// transfer set: every option any transfer sets gets this transfer's value or libcurl's
    /// default. `context` is the `Transfer` the callbacks find through their user pointer.
    /// Throws the first option libcurl refuses.
    ///
    /// Only the options whose value differs from what the handle's last transfer left set are
    /// set (`AppliedOptions`): libcurl keeps every option of a handle until it is set again
    /// (nothing in libcurl 7.88 writes these fields of a handle's settings, `data->set`, but
    /// `curl_easy_setopt`). A small POST after another on a pooled handle sets at most its
    /// body, its size and the callbacks' context (none of them when the allocator handed out
    /// the same addresses again), not 13 options (each a call through the variadic
    /// `curl_easy_setopt`, the URL and a custom method a copy of the string besides: ~1 K
    /// instructions per request).
    static func apply(
        _ request: UpstreamRequest, to handle: EasyHandle,
        headerList: Curl.HeaderList, context: UnsafeMutableRawPointer
    ) throws(CurlError) {
        let easy = handle.easy
        let applied = handle.applied
        do throws(CurlError) {
            if !AppliedOptions.sameBytes(applied.url, request.url) {
                try Curl.set(easy, CURLOPT_URL, request.url)
                applied.url = request.url
            }
            let connectTimeout = Int(request.connectTimeout.wholeMilliseconds)
            if applied.connectTimeoutMilliseconds != connectTimeout {
                try Curl.set(easy, CURLOPT_CONNECTTIMEOUT_MS, connectTimeout)
                applied.connectTimeoutMilliseconds = connectTimeout
            }
            if applied.headerList != headerList {
                try Curl.set(easy, CURLOPT_HTTPHEADER, pointer: headerList)
                applied.headerList = headerList
            }
            if applied.context != context {
                try Curl.set(easy, CURLOPT_HEADERDATA, pointer: context)
                try Curl.set(easy, CURLOPT_WRITEDATA, pointer: context)
                applied.context = context
            }
            try applyMethod(request, to: easy, context: context, applied: applied)
        } catch {
            // A refused option leaves libcurl's settings part old, part new: the handle's next
            // transfer sets them all.
            applied.forget()
            throw error
        }
    }

    /// The method and the body, each option only where it differs from `applied`. The values
    /// every transfer gets: `CURLOPT_POSTFIELDS` (the inline body or none), then the method
    /// (`CURLOPT_POST` / `HTTPGET` / `NOBODY`, each of which also clears a HEAD's no-body), the
    /// body's size (-1: none), the read callback (NULL: libcurl's default, never called without
    /// a streamed body), `CURLOPT_FRESH_CONNECT` and `CURLOPT_CUSTOMREQUEST` (NULL: the
    /// method's own name). Setting `CURLOPT_POSTFIELDS` makes libcurl's method POST (its
    /// no-body flag stays): after it, the method option is set again unless this transfer and
    /// the last are both POSTs (then the method is POST and no-body was cleared already).
    /// libcurl-olla's patch 0003 reads `postfields` to decide whether a request can be sent
    /// again: a streamed body must find it NULL.
    private static func applyMethod(
        _ request: UpstreamRequest, to easy: Curl.Easy, context: UnsafeMutableRawPointer,
        applied: AppliedOptions
    ) throws(CurlError) {
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        let custom = request.method
        let method: AppliedOptions.Method
        let size: Int64
        let reading: UnsafeMutableRawPointer?
        let fresh: Bool
        let customRequest: String?
        if let body = transfer.inlineBody {
            // Not COPYPOSTFIELDS: curl reads the body where it is. The transfer holds the array
            // (the exchange's RequestBody, immutable, so its storage never moves) until the
            // handle is removed.
            let fields = body.withUnsafeBytes { UnsafeRawPointer($0.baseAddress) }
            if applied.postFields != fields || !applied.postFieldsKnown {
                let refused = body.withUnsafeBytes { bytes -> CurlError? in
                    do throws(CurlError) { try Curl.set(easy, CURLOPT_POSTFIELDS, pointer: bytes.baseAddress) } catch { return error }
                    return nil
                }
                if let refused { throw refused }
                applied.setPostFields(fields)
            }
            method = .post
            size = Int64(body.count)
            reading = nil
            fresh = false
            customRequest = custom == "POST" ? nil : custom
        } else {
            if applied.postFields != nil || !applied.postFieldsKnown {
                try Curl.set(easy, CURLOPT_POSTFIELDS, pointer: nil)
                applied.setPostFields(nil)
            }
            if let length = request.bodyLength {
                method = .post
                size = length
                reading = context
                // A streamed body cannot be sent twice: what the read callback handed out is gone.
                // On a reused keep-alive connection that the backend closes as the request arrives
                // (its idle timeout racing our reuse), libcurl's resend would need exactly that, so
                // the attempt would fail. A new connection costs one connect against a body of over
                // a MiB, and no backend can have timed it out (test_55).
                fresh = true
                customRequest = custom == "POST" ? nil : custom
            } else {
                method = custom == "HEAD" ? .head : .get
                size = -1
                reading = nil
                fresh = false
                customRequest = custom == "GET" || custom == "HEAD" ? nil : custom
            }
        }
        if applied.method != method {
            switch method {
            case .post: try Curl.set(easy, CURLOPT_POST, 1)
            case .get: try Curl.set(easy, CURLOPT_HTTPGET, 1)
            case .head: try Curl.set(easy, CURLOPT_NOBODY, 1)
            }
            applied.method = method
        }
        if applied.bodySize != size {
            try Curl.set(easy, CURLOPT_POSTFIELDSIZE_LARGE, offset: size)
            applied.bodySize = size
        }
        if !applied.readingKnown || applied.reading != reading {
            try setReading(reading, on: easy)
            applied.reading = reading
            applied.readingKnown = true
        }
        if applied.freshConnect != fresh {
            try Curl.set(easy, CURLOPT_FRESH_CONNECT, fresh ? 1 : 0)
            applied.freshConnect = fresh
        }
        if !applied.customRequestKnown || applied.customRequest != customRequest {
            try setCustomRequest(customRequest, on: easy)
            applied.customRequest = customRequest
            applied.customRequestKnown = true
        }
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

/// The options of a pooled easy handle that `RequestOptions.apply` last set, as libcurl holds
/// them: what the next transfer compares its own values with, to set only those that differ.
/// A new value (a new handle), or one `forget` cleared (its last `apply` failed part-way),
/// knows nothing, so every option is set. A class, owned by its `EasyHandle`: read and written
/// in place (a struct copied out and back cost ~0.6 K instructions per transfer in retains of
/// its strings). Loop thread only.
final class AppliedOptions {
    /// The method options' effect: libcurl's method and its no-body flag.
    enum Method: Equatable {
        /// `CURLOPT_POST` 1: POST, a body.
        case post
        /// `CURLOPT_HTTPGET` 1: GET, a body if any comes.
        case get
        /// `CURLOPT_NOBODY` 1: HEAD.
        case head
    }

    /// `CURLOPT_URL`.
    @exclusivity(unchecked) var url: String?
    /// `CURLOPT_CONNECTTIMEOUT_MS`.
    @exclusivity(unchecked) var connectTimeoutMilliseconds: Int?
    /// `CURLOPT_HTTPHEADER`.
    @exclusivity(unchecked) var headerList: Curl.HeaderList?
    /// `CURLOPT_HEADERDATA` and `CURLOPT_WRITEDATA`.
    @exclusivity(unchecked) var context: UnsafeMutableRawPointer?
    /// `CURLOPT_POSTFIELDS` (`setPostFields`).
    @exclusivity(unchecked) private(set) var postFields: UnsafeRawPointer?
    /// Whether `postFields` is known.
    @exclusivity(unchecked) private(set) var postFieldsKnown = false
    /// The method option's effect; nil: unknown, or what `CURLOPT_POSTFIELDS` left after a
    /// transfer that was not a POST.
    @exclusivity(unchecked) var method: Method?
    /// `CURLOPT_POSTFIELDSIZE_LARGE`.
    @exclusivity(unchecked) var bodySize: Int64?
    /// `CURLOPT_READDATA`, with `CURLOPT_READFUNCTION` set (non-nil) or libcurl's default (nil).
    @exclusivity(unchecked) var reading: UnsafeMutableRawPointer?
    /// Whether `reading` is known.
    @exclusivity(unchecked) var readingKnown = false
    /// `CURLOPT_FRESH_CONNECT`.
    @exclusivity(unchecked) var freshConnect: Bool?
    /// `CURLOPT_CUSTOMREQUEST`.
    @exclusivity(unchecked) var customRequest: String?
    /// Whether `customRequest` is known.
    @exclusivity(unchecked) var customRequestKnown = false

    /// Records a `CURLOPT_POSTFIELDS` just set: libcurl's method became POST with the no-body
    /// flag as it was. Only after a POST is that a POST as `CURLOPT_POST` leaves it (no-body
    /// clear); after a GET or a HEAD the method option is due again.
    func setPostFields(_ fields: UnsafeRawPointer?) {
        postFields = fields
        postFieldsKnown = true
        if method != .post { method = nil }
    }

    /// Whether `set` holds exactly the bytes of `string` (nil: nothing known). Byte for byte,
    /// as libcurl gets them: `String`'s `==` compares canonical equivalence (two spellings of
    /// an accented letter are equal, and libcurl would have been handed the other), through
    /// the standard library's comparison (~0.15 K instructions for a 40-byte URL against a
    /// `memcmp` here).
    static func sameBytes(_ set: String?, _ string: String) -> Bool {
        guard let set else { return false }
        let equal = set.utf8.withContiguousStorageIfAvailable { a in
            string.utf8.withContiguousStorageIfAvailable { b in
                a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
            }
        }
        if case .some(.some(let equal)) = equal { return equal }
        return set.utf8.elementsEqual(string.utf8)
    }

    /// Forgets every value: the next `apply` sets every option.
    func forget() {
        url = nil
        connectTimeoutMilliseconds = nil
        headerList = nil
        context = nil
        postFields = nil
        postFieldsKnown = false
        method = nil
        bodySize = nil
        reading = nil
        readingKnown = false
        freshConnect = nil
        customRequest = nil
        customRequestKnown = false
    }
}
