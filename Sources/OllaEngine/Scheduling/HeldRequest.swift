import OllaCore

/// A request Olla holds in its own queue until an instance can start it (late binding).
///
/// Lifecycle: the router admits it as held; its owner attaches itself with
/// `FleetScheduler.attach`; then exactly one of `release` (an instance can start it now),
/// `refuse` (its wait bound passed, or no instance has its model any more) is called, or the
/// owner leaves first (`FleetScheduler.leave`, the client hung up) and neither is.
/// Both are called outside the scheduler's lock, on whichever thread ran the pump.
protocol HeldRequest: AnyObject, Sendable {
    /// The routable instances that have `model` (the request's, as held) now, as the scheduler
    /// sees them. Called under the scheduler's lock: it must take no lock of the request's.
    func holdCandidates(model: String) -> [SchedulingCandidate]
    /// Start the request: `placement` is the order to try, best first.
    func release(_ placement: [PlacementEstimate], reason: String)
    /// Answer it with `error` and a `Retry-After` of `retryAfterSeconds`.
    func refuse(_ error: ProxyError, retryAfterSeconds: Int)
}
