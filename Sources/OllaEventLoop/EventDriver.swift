/// A library the `Worker` drives: libmicrohttpd (the inbound server) and libcurl (the
/// outbound transport) are two equal drivers of the same loop.
///
/// Lifecycle: `attached(to:)` once, on the loop thread; then every round of the loop calls
/// `process(now:)`, waits, hands each ready descriptor the driver watches to
/// `descriptorReady(_:events:)`, then calls `eventsHandled(now:)`; `tick(now:)` comes about
/// every `Worker.tickInterval` while any driver `needsTicks`; `workerStopped()` comes once,
/// last, when the loop ends. Every call is made on the worker's loop thread.
public protocol EventDriver: AnyObject {
    /// The worker starts driving this driver. Register descriptors with `worker.watch`.
    func attached(to worker: Worker)
    /// Does all pending work without blocking (the top of each round, before the wait).
    func process(now: ContinuousClock.Instant)
    /// A descriptor this driver watches is ready with `events`.
    func descriptorReady(_ fd: Int32, events: Worker.Events)
    /// The round's ready descriptors were all handled.
    func eventsHandled(now: ContinuousClock.Instant)
    /// Periodic check of the driver's own timeouts.
    func tick(now: ContinuousClock.Instant)
    /// Work the watched descriptors do not announce (the loop must not sleep).
    var hasPendingWork: Bool { get }
    /// Whether the driver has timeouts to check (`tick`) right now.
    var needsTicks: Bool { get }
    /// The longest the loop may sleep before this driver needs `process` (nil: no limit).
    func timeout(now: ContinuousClock.Instant) -> Duration?
    /// `hasPendingWork`, `needsTicks` and the deadline of `timeout(now:)` at once: what the
    /// worker asks each driver once per round before it waits (only when nothing else is
    /// pending). A driver that keeps its next deadline answers without arithmetic on
    /// durations; the default asks the three members above.
    func waitNeed(now: ContinuousClock.Instant) -> WaitNeed
    /// The loop has ended: release what the driver holds for it (no more calls follow).
    func workerStopped()
}

/// What one driver needs of the worker's coming wait (`EventDriver.waitNeed(now:)`).
public struct WaitNeed: Sendable, Equatable {
    /// Work the watched descriptors do not announce: the loop must not sleep.
    public var pendingWork: Bool
    /// The driver has timeouts to check (`tick`).
    public var needsTicks: Bool
    /// When the driver next needs `process` (nil: no limit).
    public var deadline: ContinuousClock.Instant?

    /// A need as stated.
    public init(pendingWork: Bool, needsTicks: Bool, deadline: ContinuousClock.Instant?) {
        self.pendingWork = pendingWork
        self.needsTicks = needsTicks
        self.deadline = deadline
    }
}

extension EventDriver {
    /// The need from `hasPendingWork`, `needsTicks` and `timeout(now:)` (added to `now`).
    public func waitNeed(now: ContinuousClock.Instant) -> WaitNeed {
        if hasPendingWork { return WaitNeed(pendingWork: true, needsTicks: needsTicks, deadline: nil) }
        return WaitNeed(pendingWork: false, needsTicks: needsTicks, deadline: timeout(now: now).map { now + $0 })
    }
}
