import CCurl

/// The raw libcurl calls Olla makes, one Swift function per C call.
/// Only the curl loop thread calls these (except `wakeup`).
enum Curl {
    typealias Easy = UnsafeMutableRawPointer
    typealias Multi = UnsafeMutableRawPointer

    static func globalInit() {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }

    static func set(_ easy: Easy, _ option: CURLoption, _ value: Int) {
        _ = ccurl_easy_setopt_long(easy, option, value)
    }

    static func set(_ easy: Easy, _ option: CURLoption, _ value: String) {
        _ = value.withCString { ccurl_easy_setopt_pointer(easy, option, $0) }
    }

    static func set(_ easy: Easy, _ option: CURLoption, pointer: UnsafeRawPointer?) {
        _ = ccurl_easy_setopt_pointer(easy, option, pointer)
    }

    static func set(_ easy: Easy, _ option: CURLoption, offset: Int64) {
        _ = ccurl_easy_setopt_offset(easy, option, curl_off_t(offset))
    }

    static func set(_ easy: Easy, _ option: CURLoption, callback: ccurl_data_callback) {
        _ = ccurl_easy_setopt_callback(easy, option, callback)
    }

    static func pauseContinue(_ easy: Easy) {
        _ = curl_easy_pause(easy, ccurl_pause_cont)
    }

    static func errorText(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }

    /// A header list for CURLOPT_HTTPHEADER; free it with `freeList` after the handle is removed.
    static func headerList(_ lines: [String]) -> UnsafeMutablePointer<curl_slist>? {
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in lines { list = curl_slist_append(list, line) }
        return list
    }

    static func freeList(_ list: UnsafeMutablePointer<curl_slist>?) {
        curl_slist_free_all(list)
    }
}
