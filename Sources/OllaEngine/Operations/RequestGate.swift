import OllaCore

/// The checks one request passes before Olla does anything for it.
///
/// The head is passed to each check, not kept: a copy of it held here retained its five
/// Strings and its header list and released them again (~0.3 K instructions per request).
struct RequestGate {
    let policy: AccessPolicy
    let metrics: Metrics
    let client: String
    /// The `Origin` of a cross-origin request while CORS is on; nil otherwise.
    let origin: String?
    /// CORS headers every answer to this request carries (empty when CORS is off).
    let corsHeaders: [HTTPHeader]
    /// `X-RateLimit-*` of the bucket that admitted the request.
    private(set) var rateHeaders: [HTTPHeader] = []

    /// Everything Olla adds to any answer to this request. Usually both lists are empty:
    /// `+` of two empty arrays still allocated a buffer (an append to the shared empty array
    /// is not in place), one `malloc` per request.
    var responseHeaders: [HTTPHeader] {
        if rateHeaders.isEmpty { return corsHeaders }
        if corsHeaders.isEmpty { return rateHeaders }
        return corsHeaders + rateHeaders
    }

    init(head: borrowing InboundHead, policy: AccessPolicy, metrics: Metrics) {
        self.policy = policy
        self.metrics = metrics
        self.client = policy.clientAddress(head)
        // `Origin` matters only while CORS is on, and `Host` only beside an `Origin`
        // (`isCrossOrigin` is false without one): no scan of the headers for either otherwise.
        let origin = policy.cors.isEnabled ? HeaderRules.value(of: "origin", in: head.headers) : nil
        var crossOrigin = false
        if let origin {
            crossOrigin = CORSPolicy.isCrossOrigin(origin: origin, host: HeaderRules.value(of: "host", in: head.headers))
        }
        self.origin = crossOrigin ? origin : nil
        self.corsHeaders = crossOrigin ? policy.cors.responseHeaders(origin: origin) : []
    }

    /// A head whose body framing is ambiguous or malformed (`RequestFraming`) is refused before
    /// anything else looks at it, and the connection is closed after the answer: the bytes
    /// that follow could be a second request hidden in the body, and no later byte on this
    /// connection can be trusted to start a request (RFC 9112 §6.3).
    /// A target with whitespace or control characters (`RequestTarget`) is refused the same way,
    /// and so is a missing, repeated or malformed `Host` (`RequestHost`).
    func refuseAmbiguousFraming(_ head: InboundHead) -> LocalResponse? {
        do {
            try RequestTarget.check(head.rawTarget)
            _ = try head.framing.get()  // decided with the head (`InboundHead.framing`)
            try RequestHost.check(httpVersion: head.httpVersion, headers: head.headers)
            return nil
        } catch {
            metrics.rejected(reason: .badFraming)
            var response = LocalResponse.error(error, flavor: Self.flavor(head))
            response.headers.append(HTTPHeader("Connection", "close"))
            return response
        }
    }

    /// Answered here, before anything else: a CORS preflight (on every path, as Ollama's
    /// middleware does), a request from a refused origin (`403`, as Ollama), and a head
    /// over the size limit.
    func preflightOrOversize(_ head: InboundHead) -> LocalResponse? {
        if let origin {
            if head.method == "OPTIONS" {
                let method = HeaderRules.value(of: "access-control-request-method", in: head.headers)
                let requested = HeaderRules.value(of: "access-control-request-headers", in: head.headers)
                switch policy.cors.preflight(origin: origin, requestMethod: method, requestHeaders: requested) {
                case .allowed(let headers):
                    return LocalResponse(status: 204, headers: headers, body: [])
                case .refused(let message):
                    metrics.rejected(reason: .corsRefused)
                    return .error(ProxyError(.forbidden, message), flavor: Self.flavor(head))
                }
            }
            if !policy.cors.allows(origin: origin) {
                metrics.rejected(reason: .corsRefused)
                return .error(ProxyError(.forbidden, CORSPolicy.originRefusal(origin)), flavor: Self.flavor(head))
            }
        }
        let size = AccessPolicy.headBytes(head)
        if size > policy.maxHeaderSize {
            metrics.rejected(reason: .headerTooLarge)
            return .error(ProxyError(.headersTooLarge, "request headers of \(size) bytes exceed the limit of \(policy.maxHeaderSize) bytes"),
                          flavor: Self.flavor(head))
        }
        return nil
    }

    /// Internal routes: network allow-list, their own rate budget, keys except for health/version.
    mutating func admitInternal(_ route: InternalRoutes.Route, _ head: InboundHead) -> LocalResponse? {
        guard policy.mayReadInternal(client: client) else {
            return .error(ProxyError(.forbidden, "internal routes are not available from \(client)"), flavor: .native)
        }
        return admit(head, scope: .health, needsKey: !route.isOpen)
    }

    /// Rate limit, then API key. Nil means go ahead.
    mutating func admit(_ head: InboundHead, scope: RateLimitScope, needsKey: Bool,
                        flavor: APIFlavor = .native) -> LocalResponse? {
        if let limiter = policy.rateLimiter {
            let decision = limiter.check(client: client, scope: scope, now: .now)
            rateHeaders = decision.headers
            if !decision.allowed {
                metrics.rejected(reason: .rateLimit)
                return LocalResponse.error(ProxyError(.tooManyRequests, "rate limit exceeded, retry later"), flavor: flavor)
            }
        }
        if needsKey, !policy.isAuthorized(head) {
            metrics.rejected(reason: .unauthorized)
            var response = LocalResponse.error(ProxyError(.unauthorized, "missing or invalid API key"), flavor: flavor)
            response.headers.append(HTTPHeader("WWW-Authenticate", "Bearer"))
            return response
        }
        return nil
    }

    private static func flavor(_ head: InboundHead) -> APIFlavor { ProxyRoute.flavor(rawTarget: head.rawTarget) }
}
