/// The body of an answer the HTTP library (libmicrohttpd) makes on its own, before Olla's code
/// sees the request: a malformed request line, header, `Content-Length` or chunk, an HTTP
/// version it does not speak, a head too large for the connection's buffer. Olla's patched
/// build (scripts/libmicrohttpd/, 0002) asks for it, so these answers take the error shape of
/// the route the target belongs to, as Olla's own errors do: OpenAI's on `/v1/*`, Anthropic's
/// on `/v1/messages`, Ollama's `{"error":"..."}` on `/api/*` and when no target was read.
public enum LibraryErrorBody {
    /// How many bytes of the request target libmicrohttpd hands over at most
    /// (`OLLA_MHD_TARGET_MAX` in the patched `microhttpd.h`). Longer targets arrive cut; every
    /// route's family is decided within far fewer bytes (see `flavor(rawTargetPrefix:)`).
    public static let targetPrefixLimit = 256

    /// The body for an answer with `status` (400, 413, 414, 431, 500, 505).
    ///
    /// - Parameters:
    ///   - rawTargetPrefix: the first bytes of the request target as the client sent them,
    ///     or nil when the library had not read a target (the request line was not split).
    ///   - message: the library's short English reason, such as "malformed HTTP request".
    public static func render(rawTargetPrefix: [UInt8]?, status: Int, message: String) -> String {
        let flavor = rawTargetPrefix.map(flavor(rawTargetPrefix:)) ?? .native
        return ProxyError(kind(status: status), message).body(for: flavor)
    }

    /// The API family of a target known only by its first `targetPrefixLimit` bytes: the same
    /// as the whole target's, because every route path `ProxyRoute` tells apart ends well
    /// within them (a longer path can only match a parameter route or a family's prefix).
    public static func flavor(rawTargetPrefix: [UInt8]) -> APIFlavor {
        ProxyRoute.flavor(rawTarget: String(decoding: rawTargetPrefix, as: UTF8.self))
    }

    /// The error kind whose OpenAI `type` and Anthropic `error.type` fit the status. The body
    /// carries no status of its own, so 414 borrows the kind of 431 and 505 that of 400 (each
    /// an `invalid_request_error` in both shapes).
    static func kind(status: Int) -> ProxyError.Kind {
        switch status {
        case 413: .payloadTooLarge
        case 414, 431: .headersTooLarge
        case 500..<600 where status != 505: .internalError
        default: .badRequest
        }
    }
}
