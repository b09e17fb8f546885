/// `auth`: the credential Olla sends to one backend (Go Olla's `auth:` block).
///
/// Secrets stay out of the file with `${VAR}` / `${VAR:-default}` placeholders or a `_file`
/// sibling naming a file that holds the value (Docker and Kubernetes secrets). They are
/// resolved once at start-up and on reload; anything missing stops the start with the key.
public struct EndpointAuth: Sendable, Equatable {
    /// `type`: how the credential is sent.
    public enum Kind: String, ConfigChoice {
        /// `Authorization: Bearer <token>`.
        case bearer
        /// `<header>: <key>` (default header `X-Api-Key`), the raw key without a scheme.
        case apiKey = "api_key"
        /// `Authorization: Basic base64(username:password)`.
        case basic
        /// No alternative spellings.
        public static let aliases: [String: Kind] = [:]
    }

    /// A credential field: written inline, or read from a file.
    public enum Secret: Sendable, Equatable {
        case inline(String)
        case file(String)
    }

    /// `type`: how the credential is sent.
    public var kind: Kind
    /// `token` (bearer), `key` (api_key) or `username` (basic).
    public var primary: Secret
    /// `password` (basic only).
    public var password: Secret?
    /// `header` (api_key only).
    public var header: String

    /// Creates an `auth` block; `header` is used by `api_key` only.
    public init(kind: Kind, primary: Secret, password: Secret? = nil, header: String = "X-Api-Key") {
        self.kind = kind
        self.primary = primary
        self.password = password
        self.header = header
    }
}
