import CCurl

/// An easy handle of a worker's pool, with what stays with it from one transfer to the next:
/// the memory of its request header list and the options its last transfer set. Freed
/// (`curl_easy_cleanup`) with the object, which happens on the loop thread: only the transfer
/// table and a running `Transfer`'s table entry hold it.
///
/// The easy handle points back at this object (`CURLOPT_PRIVATE`, set once), and this object
/// holds the transfer running on it: a finished transfer's easy handle, as
/// `curl_multi_info_read` gives it, leads to its `Transfer` without a table lookup (two
/// dictionary updates and a lookup by handle were ~0.5 K instructions per request).
final class EasyHandle {
    /// The libcurl easy handle.
    let easy: Curl.Easy
    /// Where the header list of the handle's current transfer is written.
    let headers = HeaderListBuffer()
    /// The per-transfer options as the last `RequestOptions.apply` left them: the next sets
    /// only those that differ.
    let applied = AppliedOptions()
    /// The transfer running on this handle (which holds this handle: `Transfer.handle`); nil
    /// while the handle is idle in the pool. Loop thread only (no run-time exclusivity checks).
    @exclusivity(unchecked) var transfer: Transfer?

    /// A new easy handle. Throws when libcurl cannot allocate one.
    init() throws(CurlError) {
        easy = try Curl.easyInit()
        // Unretained: the handle lives as long as this object (deinit cleans it up).
        try Curl.set(easy, CURLOPT_PRIVATE, pointer: Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        Curl.cleanup(easy)
    }

    /// The pooled handle object `easy` belongs to (nil for an easy handle no `EasyHandle`
    /// made). For an easy handle that is alive: one in the pool or carrying a transfer.
    static func owning(_ easy: Curl.Easy) -> EasyHandle? {
        guard let pointer = Curl.privatePointer(easy) else { return nil }
        return Unmanaged<EasyHandle>.fromOpaque(pointer).takeUnretainedValue()
    }
}
