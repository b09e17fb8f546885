/// A library the `Worker` drives: libmicrohttpd (the inbound server) and libcurl (the
/// outbound transport) are two equal drivers of the same loop.
///
/// Lifecycle: `attached(to:)` once, on the loop thread; then every round of the loop calls
/// `process(now:)`, waits, hands each ready descriptor the driver watches to
/// `descriptorReady(_:events:)`, then calls `eventsHandled(now:)` (a round with work pending
/// may go on to the next round's `process` at once instead, never two rounds in a row); `tick(now:)` comes about
/// every `Worker.tickInterval` while any driver `needsTicks`; `workerStopped()` comes once,
/// last, when the loop ends. Every call is made on the worker's loop thread. `now` is the
/// round's one reading of the loop's clock (`LoopTime`, read after the wait).
public protocol EventDriver: AnyObject {
    /// The worker starts driving this driver. Register descriptors with `worker.watch`.
    func attached(to worker: Worker)
    /// Does all pending work without blocking (the top of each round, before the wait).
    func process(now: LoopTime)
    /// A descriptor this driver watches is ready with `events`.
    func descriptorReady(_ fd: Int32, events: Worker.Events)
    /// The round's ready descriptors were all handled.
    func eventsHandled(now: LoopTime)
    /// Periodic check of the driver's own timeouts.
    func tick(now: LoopTime)
    /// Work the watched descriptors do not announce (the loop must not sleep).
    var hasPendingWork: Bool { get }
    /// Whether the driver has timeouts to check (`tick`) right now.
    var needsTicks: Bool { get }
    /// The longest the loop may sleep before this driver needs `process` (nil: no limit).
    func timeout(now: LoopTime) -> Duration?
    /// `hasPendingWork`, `needsTicks` and `timeout(now:)` at once: what the worker asks each
    /// driver once per round before it waits (only when nothing else is pending). A driver
    /// that keeps its next deadline answers without asking its library; the default asks
    /// the three members above.
    func waitNeed(now: LoopTime) -> WaitNeed
    /// The loop has ended: release what the driver holds for it (no more calls follow).
    func workerStopped()
}

/// What one driver needs of the worker's coming wait (`EventDriver.waitNeed(now:)`).
public struct WaitNeed: Sendable, Equatable {
    /// Work the watched descriptors do not announce: the loop must not sleep.
    public var pendingWork: Bool
    /// The driver has timeouts to check (`tick`).
    public var needsTicks: Bool
    /// When the driver next needs `process` (nil: no limit): the loop may sleep until then.
    /// A time on the loop's clock, not a duration from the round's: a driver keeps its
    /// deadline and hands it over without arithmetic, and the plan compares integers.
    public var deadline: LoopTime?

    /// A need as stated.
    public init(pendingWork: Bool, needsTicks: Bool, deadline: LoopTime?) {
        self.pendingWork = pendingWork
        self.needsTicks = needsTicks
        self.deadline = deadline
    }
}

extension EventDriver {
    /// The need from `hasPendingWork`, `needsTicks` and `timeout(now:)`.
    public func waitNeed(now: LoopTime) -> WaitNeed {
        if hasPendingWork { return WaitNeed(pendingWork: true, needsTicks: needsTicks, deadline: nil) }
        return WaitNeed(pendingWork: false, needsTicks: needsTicks, deadline: timeout(now: now).map { now.advanced(by: $0) })
    }
}
