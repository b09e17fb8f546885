/// Why Olla refused a request itself, for `olla_rejections_total{reason}`.
public enum RejectionReason: String, Sendable, CaseIterable {
    case rateLimit = "rate_limit"
    case bodyTooLarge = "body_too_large"
    case headerTooLarge = "header_too_large"
    case unauthorized
    /// A browser origin, method or header that `server.cors` does not allow.
    case corsRefused = "cors_refused"
    /// Ambiguous or malformed body framing (`RequestFraming`): a request smuggling attempt
    /// or a broken client.
    case badFraming = "bad_framing"
}
