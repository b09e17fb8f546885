import OllaCore

/// The protections in front of the proxy: header size, rate limits, API keys, CORS, and who
/// may read the internal routes. Built from `server.*` and swapped whole on reload.
/// A class: every request's gate holds it, and a copy of the struct retained each of its
/// parts (a dozen reference-count operations per request).
public final class AccessPolicy: Sendable {
    /// `server.request_limits.max_header_size`: the most bytes a request head may have (431 above).
    public let maxHeaderSize: Int
    /// The rate limiter; nil when `server.rate_limits` is off. Kept across reloads that leave
    /// the limits unchanged, so buckets are not refilled by a SIGHUP.
    public let rateLimiter: RateLimiter?
    /// `server.rate_limits` as configured.
    public let rateLimits: RateLimitsConfig
    /// `server.auth`: the API keys clients must send; open when none are configured.
    public let apiKeys: APIKeyCheck
    /// `server.cors`: which browser origins may call the API.
    public let cors: CORSPolicy
    /// Who may read `/internal/*` (`server.internal_allowed_cidrs`); empty allows everyone.
    public let internalAllowed: [CIDR]

    /// `environment` looks up `server.auth.api_keys_env` (injected for tests).
    public init(server: ServerConfig, previous: AccessPolicy? = nil, environment: (String) -> String? = { _ in nil }) {
        maxHeaderSize = server.requestLimits.maxHeaderSize
        rateLimits = server.rateLimits
        if !server.rateLimits.isEnabled {
            rateLimiter = nil
        } else if let previous, previous.rateLimits == server.rateLimits, let kept = previous.rateLimiter {
            rateLimiter = kept  // unchanged limits keep their buckets across a reload
        } else {
            rateLimiter = RateLimiter(config: server.rateLimits, now: .now)
        }
        var keys = server.auth.apiKeys
        if !server.auth.apiKeysEnv.isEmpty, let value = environment(server.auth.apiKeysEnv) {
            keys += APIKeyCheck.keys(fromEnvironmentValue: value)
        }
        apiKeys = APIKeyCheck(keys: keys)
        cors = CORSPolicy(config: server.cors, environment: environment)
        internalAllowed = server.internalAllowedCIDRs
    }

    /// The address rate limits and logs attribute a request to.
    func clientAddress(_ head: InboundHead) -> String {
        // `X-Forwarded-For` is read only when it is trusted (`resolve` ignores it otherwise):
        // no scan of the headers for the usual configuration.
        let trusted = rateLimits.trustProxyHeaders
        return ClientAddress.resolve(
            peer: head.peerAddress, forwardedFor: trusted ? HeaderRules.value(of: "x-forwarded-for", in: head.headers) : nil,
            trustedProxies: rateLimits.trustedProxyCIDRs, trustProxyHeaders: trusted)
    }

    /// The request line and headers as they arrived, in bytes (CRLFs included).
    static func headBytes(_ head: InboundHead) -> Int {
        head.headers.reduce(head.method.utf8.count + head.rawTarget.utf8.count + 12) { total, header in
            total + header.name.utf8.count + header.value.utf8.count + 4
        }
    }

    /// `client` is the resolved client address (X-Forwarded-For from trusted proxies).
    func mayReadInternal(client: String) -> Bool {
        guard !internalAllowed.isEmpty else { return true }
        guard let address = IPAddress(host: client) else { return false }
        return internalAllowed.containsAddress(address)
    }

    func isAuthorized(_ head: InboundHead) -> Bool {
        guard apiKeys.isEnabled else { return true }
        return apiKeys.authorize(
            authorization: HeaderRules.value(of: "authorization", in: head.headers),
            apiKey: HeaderRules.value(of: "x-api-key", in: head.headers))
    }
}
