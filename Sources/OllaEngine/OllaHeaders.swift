import OllaCore

/// The headers Olla adds to its answers: `X-Olla-Request-ID`, `-Endpoint`, `-Model`,
/// `-Backend-Type`, `-Response-Time` (the names of `thushan/olla`), the routing plan's
/// `X-Olla-Routing-*`, and the per-request extras (CORS).
struct OllaHeaders {
    let requestID: String
    /// When the request head arrived.
    let startedAt: RequestTime
    /// Headers every answer carries (CORS), after Olla's own.
    let extra: [HTTPHeader]
    /// The request's facts these headers report (only these four are copied out of the
    /// machine: a poll is on every request's path).
    let endpoint: EndpointTarget?
    let model: String?
    let plan: RoutingPlan?
    let headAt: RequestTime?

    init(requestID: String, startedAt: RequestTime, extra: [HTTPHeader], facts: RequestFacts) {
        self.requestID = requestID
        self.startedAt = startedAt
        self.extra = extra
        self.endpoint = facts.endpoint
        self.model = facts.model
        self.plan = facts.plan
        self.headAt = facts.headAt
    }

    /// A backend's answer: its headers as the client may see them (hop-by-hop and the
    /// backend's own `X-Olla-*` removed), then Olla's, made from `facts` read in place (no
    /// `OllaHeaders` is made, so the facts' plan, model and endpoint are not copied out and
    /// released again: the exchange's answer to a poll, on every request's path).
    static func backendAnswer(_ head: UpstreamHead, requestID: String, startedAt: RequestTime,
                              extra: [HTTPHeader], facts: borrowing RequestFacts) -> [HTTPHeader] {
        // One array, sized once: the backend's headers, then Olla's (at most 8), then the extras.
        var headers = HeaderRules.clientResponseHeaders(upstream: head.headers, reservingCapacity: 8 + extra.count)
        headers.append(HTTPHeader("X-Olla-Request-ID", requestID))
        if let endpoint = facts.endpoint { headers.append(HTTPHeader("X-Olla-Endpoint", endpoint.name)) }
        if let model = facts.model { headers.append(HTTPHeader("X-Olla-Model", model)) }
        if let endpoint = facts.endpoint { headers.append(HTTPHeader("X-Olla-Backend-Type", endpoint.type.rawValue)) }
        if let headAt = facts.headAt {
            headers.append(HTTPHeader("X-Olla-Response-Time", Self.millisecondsText(headAt.wholeMilliseconds(since: startedAt))))
        }
        if let plan = facts.plan { plan.appendHeaders(to: &headers) }
        headers.append(contentsOf: extra)
        return headers
    }

    /// `String(milliseconds) + "ms"`, written straight into the String's storage: `String(_:)`
    /// of an integer still went through `description` by dynamic dispatch, and the `+`
    /// appended to it (~320 instructions per answer; interpolation cost more).
    static func millisecondsText(_ milliseconds: Int64) -> String {
        var rest = milliseconds.magnitude
        var digits = 1
        var probe = rest
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        let sign = milliseconds < 0 ? 1 : 0
        let count = sign + digits + 2
        return String(unsafeUninitializedCapacity: count) { text in
            var index = sign + digits - 1
            repeat {
                text[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                index -= 1
            } while rest > 0
            if sign == 1 { text[0] = UInt8(ascii: "-") }
            text[count - 2] = UInt8(ascii: "m")
            text[count - 1] = UInt8(ascii: "s")
            return count
        }
    }

    /// Olla's own error, in the route's error shape; a refusal with a wait bound adds
    /// `Retry-After` (seconds, RFC 9110 §10.2.3).
    func errorResponse(_ error: ProxyError, flavor: APIFlavor) -> LocalResponse {
        var response = LocalResponse.error(error, flavor: flavor, requestID: requestID)
        response.headers += modelHeader + extra + routingHeaders
        if case .reject(_, let retryAfter?)? = plan?.target {
            response.headers.append(HTTPHeader("Retry-After", String(retryAfter)))
        }
        return response
    }

    /// A response Olla composed (a fan-out's merged answer).
    func localResponse(_ response: LocalResponse) -> LocalResponse {
        var response = response
        response.headers.append(HTTPHeader("X-Olla-Request-ID", requestID))
        response.headers += modelHeader + extra + routingHeaders
        return response
    }

    private var modelHeader: [HTTPHeader] { model.map { [HTTPHeader("X-Olla-Model", $0)] } ?? [] }
    private var routingHeaders: [HTTPHeader] { plan?.headers ?? [] }
}
