/// How a real (proxied) request failed, as reported back by the forwarding code.
public enum RequestFailureKind: Sendable, Equatable, CustomStringConvertible {
    /// The connection to the endpoint failed (refused, unreachable, reset before any
    /// answer). Strong evidence the endpoint is down: it is marked offline at once.
    case connect(String)
    /// The endpoint answered with this 5xx status (other than a fast "busy" 503).
    case serverError(Int)
    /// The endpoint answered 503 or 429 quickly: it is up but its queue is full.
    case busy

    /// A short reason for logs and the status page.
    public var description: String {
        switch self {
        case .connect(let message): "request could not connect: \(message)"
        case .serverError(let code): "request answered HTTP \(code)"
        case .busy: "request answered busy (503/429)"
        }
    }
}
