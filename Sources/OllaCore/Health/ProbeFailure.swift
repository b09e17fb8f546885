/// Why one health probe failed.
public enum ProbeFailure: Sendable, Equatable, CustomStringConvertible {
    /// The connection could not be made or broke: refused, unreachable, DNS, TLS.
    /// The string is the transport's own message, kept for status output.
    case transport(String)
    /// No answer within `check_timeout` (the connection was made, or nothing says it was
    /// not): weak evidence on an endpoint that answered just before (`HealthPolicy.lateProbesForgiven`).
    case timeout
    /// The connection itself was not made within `check_timeout` (no answer to the
    /// connection request): the machine or its network is gone, as strong as a refusal.
    case connectTimeout
    /// The endpoint answered with this non-2xx HTTP status.
    case status(Int)

    /// The state this failure shows the endpoint to be in.
    ///
    /// 503 and 429 mean "up but overloaded" (Ollama answers 503 when its queue is full),
    /// so they give `busy`, which stays routable; other statuses give `unhealthy`.
    public var observedState: EndpointState {
        switch self {
        case .transport, .timeout, .connectTimeout: .offline
        case .status(let code): ProbeFailure.isBusyStatus(code) ? .busy : .unhealthy
        }
    }

    /// Whether the endpoint answered (with a non-2xx status), as opposed to being
    /// unreachable: the circuit breaker treats the two differently.
    public var isAnswer: Bool {
        if case .status = self { return true }
        return false
    }

    /// HTTP statuses that mean "busy, try later" rather than "broken".
    static func isBusyStatus(_ code: Int) -> Bool { code == 503 || code == 429 }

    /// A short reason for logs and the status page.
    public var description: String {
        switch self {
        case .transport(let message): "probe failed: \(message)"
        case .timeout: "probe timed out"
        case .connectTimeout: "probe could not connect within check_timeout"
        case .status(let code): "probe answered HTTP \(code)"
        }
    }
}
