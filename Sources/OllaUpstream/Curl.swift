import CCurl

/// A libcurl call that failed: the call and libcurl's own text for its result code.
public struct CurlError: Error, CustomStringConvertible, Equatable {
    /// The C function that failed (`curl_multi_add_handle`, ...).
    public let call: String
    /// libcurl's description of the result code.
    public let text: String

    /// "call: text".
    public var description: String { "\(call): \(text)" }
}

/// The raw libcurl calls Olla makes, one Swift function per C call, each mapping its result
/// code to a value or a `CurlError`. Nothing else in the target calls libcurl; only the
/// worker loop thread calls these (the multi handle and every easy handle belong to it).
enum Curl {
    typealias Easy = UnsafeMutableRawPointer
    typealias Multi = UnsafeMutableRawPointer
    /// A `CURLOPT_HTTPHEADER` list (`HeaderListBuffer` owns its memory).
    typealias HeaderList = UnsafeMutablePointer<curl_slist>

    // MARK: Global and multi handle

    /// True in a binary linked against scripts/libcurl/build.sh's libcurl; referring to its
    /// marker symbol is what makes linking against any other libcurl fail.
    static var isPatchedBuild: Bool { ccurl_patched_build() == 1 }

    static func globalInit() throws(CurlError) {
        precondition(isPatchedBuild)
        try check(curl_global_init(Int(CURL_GLOBAL_DEFAULT)), "curl_global_init")
    }

    static func multiInit() throws(CurlError) -> Multi {
        guard let multi = curl_multi_init() else {
            throw CurlError(call: "curl_multi_init", text: "out of memory")
        }
        return multi
    }

    static func multiCleanup(_ multi: Multi) {
        let code = curl_multi_cleanup(multi)
        assert(code == CURLM_OK, "curl_multi_cleanup: \(multiErrorText(code))")
    }

    static func set(_ multi: Multi, _ option: CURLMoption, _ value: Int) throws(CurlError) {
        try check(ccurl_multi_setopt_long(multi, option, value), "curl_multi_setopt")
    }

    static func set(_ multi: Multi, _ option: CURLMoption, pointer: UnsafeMutableRawPointer?) throws(CurlError) {
        try check(ccurl_multi_setopt_pointer(multi, option, pointer), "curl_multi_setopt")
    }

    static func setSocketFunction(_ multi: Multi, _ callback: curl_socket_callback) throws(CurlError) {
        try check(ccurl_multi_setopt_socketfunction(multi, callback), "curl_multi_setopt")
    }

    static func setTimerFunction(_ multi: Multi, _ callback: curl_multi_timer_callback) throws(CurlError) {
        try check(ccurl_multi_setopt_timerfunction(multi, callback), "curl_multi_setopt")
    }

    /// Starts driving `easy`. A failure (out of memory, a handle already added) leaves the
    /// handle outside the multi handle: its transfer must end at once.
    static func add(_ multi: Multi, _ easy: Easy) throws(CurlError) {
        try check(curl_multi_add_handle(multi, easy), "curl_multi_add_handle")
    }

    /// Stops driving `easy`. It fails only for a handle that is not in the multi handle,
    /// which would be a bug in the transfer table.
    static func remove(_ multi: Multi, _ easy: Easy) {
        let code = curl_multi_remove_handle(multi, easy)
        assert(code == CURLM_OK, "curl_multi_remove_handle: \(multiErrorText(code))")
    }

    /// Lets libcurl act on `fd` (or on its timer, with `CURL_SOCKET_TIMEOUT`). A descriptor
    /// libcurl no longer knows (CURLM_BAD_SOCKET: an event that raced its removal) is ignored.
    static func socketAction(_ multi: Multi, _ fd: Int32, _ mask: Int32) {
        var running: Int32 = 0
        let code = curl_multi_socket_action(multi, fd, mask, &running)
        assert(code == CURLM_OK || code == CURLM_BAD_SOCKET, "curl_multi_socket_action: \(multiErrorText(code))")
    }

    /// The next finished transfer and its result, if any (`curl_multi_info_read`; the result
    /// sits in a union, read through the shim).
    static func nextFinished(_ multi: Multi) -> (easy: Easy, result: CURLcode)? {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            return (easy, ccurl_msg_result(message))
        }
        return nil
    }

    // MARK: Easy handles

    static func easyInit() throws(CurlError) -> Easy {
        guard let easy = curl_easy_init() else { throw CurlError(call: "curl_easy_init", text: "out of memory") }
        return easy
    }

    static func cleanup(_ easy: Easy) {
        curl_easy_cleanup(easy)
    }

    static func set(_ easy: Easy, _ option: CURLoption, _ value: Int) throws(CurlError) {
        try check(ccurl_easy_setopt_long(easy, option, value), "curl_easy_setopt")
    }

    /// Strings are copied by libcurl (CURLOPT_URL, CURLOPT_CUSTOMREQUEST): safe to pass a
    /// temporary.
    static func set(_ easy: Easy, _ option: CURLoption, _ value: String) throws(CurlError) {
        try check(value.withCString { ccurl_easy_setopt_pointer(easy, option, $0) }, "curl_easy_setopt")
    }

    static func set(_ easy: Easy, _ option: CURLoption, pointer: UnsafeRawPointer?) throws(CurlError) {
        try check(ccurl_easy_setopt_pointer(easy, option, pointer), "curl_easy_setopt")
    }

    static func set(_ easy: Easy, _ option: CURLoption, offset: Int64) throws(CurlError) {
        try check(ccurl_easy_setopt_offset(easy, option, curl_off_t(offset)), "curl_easy_setopt")
    }

    static func set(_ easy: Easy, _ option: CURLoption, callback: ccurl_data_callback?) throws(CurlError) {
        try check(ccurl_easy_setopt_callback(easy, option, callback), "curl_easy_setopt")
    }

    static func setOpenSocketFunction(_ easy: Easy, _ callback: curl_opensocket_callback) throws(CurlError) {
        try check(ccurl_easy_setopt_opensocket(easy, callback), "curl_easy_setopt")
    }

    static func setCloseSocketFunction(_ easy: Easy, _ callback: curl_closesocket_callback) throws(CurlError) {
        try check(ccurl_easy_setopt_closesocket(easy, callback), "curl_easy_setopt")
    }

    /// The pointer stored with `CURLOPT_PRIVATE` (nil when none was).
    static func privatePointer(_ easy: Easy) -> UnsafeMutableRawPointer? {
        ccurl_easy_private(easy)
    }

    /// Resumes a transfer paused in either direction.
    static func pauseContinue(_ easy: Easy) throws(CurlError) {
        try check(curl_easy_pause(easy, ccurl_pause_cont), "curl_easy_pause")
    }

    // MARK: Result codes

    static func errorText(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }

    static func multiErrorText(_ code: CURLMcode) -> String {
        String(cString: curl_multi_strerror(code))
    }

    private static func check(_ code: CURLcode, _ call: String) throws(CurlError) {
        guard code == CURLE_OK else { throw CurlError(call: call, text: errorText(code)) }
    }

    private static func check(_ code: CURLMcode, _ call: String) throws(CurlError) {
        guard code == CURLM_OK else { throw CurlError(call: call, text: multiErrorText(code)) }
    }
}
