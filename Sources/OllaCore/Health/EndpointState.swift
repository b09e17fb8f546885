/// What Olla currently believes about one endpoint.
///
/// `healthy`, `busy` and `unknown` are routable; `unhealthy` and `offline` are not.
public enum EndpointState: String, Sendable, Equatable, CaseIterable {
    /// Answered the last probe quickly with a 2xx.
    case healthy
    /// Answering, but slowly (a probe took more than half of `check_timeout`) or with
    /// "server busy" (503/429). Still routable, but tried after healthy endpoints.
    case busy
    /// Answering with errors (other non-2xx statuses), or its circuit breaker is open.
    case unhealthy
    /// Not answering at all: connection refused, host unreachable, or timed out.
    case offline
    /// Not probed yet. Routable, so a freshly started Olla serves traffic at once
    /// instead of refusing every request until the first round of probes completes.
    case unknown

    /// Whether requests may be sent to an endpoint in this state.
    public var isRoutable: Bool {
        switch self {
        case .healthy, .busy, .unknown: true
        case .unhealthy, .offline: false
        }
    }
}
