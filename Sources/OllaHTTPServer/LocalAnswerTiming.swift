/// When a local answer (one Olla makes without a backend: `/api/version`, `/api/tags`, a 404,
/// a 401/403/429...) decided at the first access-handler call is handed to libmicrohttpd.
///
/// libmicrohttpd 0.9.75 closes the connection after any answer queued before it has read the
/// request's body (connection.c `MHD_queue_response`: "response was queued early, refuse to
/// read body / footers or further requests"), even for a request that has no body: every
/// local answer went out with `Connection: close`, and a request pipelined behind it was lost.
/// Queued on the last call instead, after the body, the connection stays open. A body is read
/// (and skipped) only when it is small, as Go's net/http does for Ollama (server.go
/// `maxPostHandlerReadBytes`, 256 KiB); a larger or unknown one, or one the client waits to be
/// invited to send (`Expect: 100-continue`), is not worth reading: the answer goes at once and
/// closes the connection. An answer that asks for `Connection: close` itself (a framing
/// refusal: the bytes after the head cannot be trusted) goes at once too.
enum LocalAnswerTiming {
    /// The largest declared body read and skipped to keep the connection, in bytes.
    static let skippableBodyBytes: UInt64 = 256 * 1024

    /// Whether the answer waits for the end of the request's body (true) or is queued at once
    /// (false, closing the connection). The request's `Content-Length`, `Transfer-Encoding`
    /// and `Expect` values are nil when absent; `answerCloses` is whether the answer itself
    /// carries `Connection: close`.
    static func waitsForBody(contentLength: String?, transferEncoding: String?, expect: String?,
                             answerCloses: Bool) -> Bool {
        guard !answerCloses, transferEncoding == nil, expect == nil else { return false }
        guard let contentLength else { return true }
        // Digits only (RFC 9110 §8.6): UInt64("+81") would accept a sign.
        guard !contentLength.isEmpty, contentLength.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let length = UInt64(contentLength) else { return false }
        return length <= skippableBodyBytes
    }
}
