/// An easy handle of a worker's pool, with what stays with it from one transfer to the next:
/// the memory of its request header list. Freed (`curl_easy_cleanup`) with the object, which
/// happens on the loop thread: only the transfer table and a running `Transfer`'s table
/// entry hold it.
final class EasyHandle {
    /// The libcurl easy handle.
    let easy: Curl.Easy
    /// Where the header list of the handle's current transfer is written.
    let headers = HeaderListBuffer()

    /// A new easy handle. Throws when libcurl cannot allocate one.
    init() throws(CurlError) {
        easy = try Curl.easyInit()
    }

    deinit {
        Curl.cleanup(easy)
    }
}
