/// Why a set of instances cannot take a request now, in the words an error body uses, and
/// when asking again could succeed.
///
/// Built from each instance's `HealthSnapshot` (pure: the snapshots carry the time).
/// `detail` names every instance with its state and the last error health checks or
/// requests saw, e.g. `gpu-a (offline: probe timed out), gpu-b (unhealthy: circuit breaker
/// open after 5 failures in a row; last: request answered HTTP 500)`. `retryAfterSeconds`
/// is the time until the soonest next probe of any of them (the earliest moment one can be
/// found back), rounded up to whole seconds and at least 1: the `Retry-After` delay-seconds
/// of RFC 9110 §10.2.3.
public struct Unavailability: Sendable, Equatable {
    /// One clause per instance, in the order given, joined by `, `; empty for no instances.
    public var detail: String
    /// Seconds until the soonest next probe, at least 1; `fallbackRetryAfterSeconds` when
    /// no instance was given (nothing to wait for but a configuration change).
    public var retryAfterSeconds: Int

    /// The delay offered when there is no instance whose probe could change the answer.
    public static let fallbackRetryAfterSeconds = 5

    /// Describes `instances`, each an endpoint name and its health now.
    public init(_ instances: [(name: String, health: HealthSnapshot)]) {
        detail = instances.map { Self.clause(name: $0.name, $0.health) }.joined(separator: ", ")
        let soonest = instances.map { max($0.health.untilNextProbe, .zero) }.min()
        retryAfterSeconds = soonest.map { max(1, Self.wholeSecondsRoundedUp($0)) } ?? Self.fallbackRetryAfterSeconds
    }

    /// `name (state: why)`. While the circuit breaker holds an answering instance back the
    /// breaker is the reason, with the last error after it.
    public static func clause(name: String, _ health: HealthSnapshot) -> String {
        var why: [String] = []
        if health.breakerOpenUntil != nil && health.state != .offline {
            why.append("circuit breaker open after \(health.consecutiveFailures) failures in a row")
            if let error = health.lastError, !error.isEmpty { why.append("last: \(error)") }
        } else if let error = health.lastError, !error.isEmpty {
            why.append(error)
        }
        return why.isEmpty ? "\(name) (\(health.state.rawValue))"
            : "\(name) (\(health.state.rawValue): \(why.joined(separator: "; ")))"
    }

    static func wholeSecondsRoundedUp(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }
}
