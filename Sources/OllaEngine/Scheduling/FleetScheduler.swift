import OllaCore
import Synchronization

/// The engine's owner of the `residency-aware` balancer's state: the pure
/// `ResidencyScheduler` and Olla's per-model hold queue, behind one mutex.
///
/// It lives in the `EndpointRegistry`, so what it learned survives a reload. Decisions and
/// their bookkeeping happen under the lock in one step (two requests cannot both take the
/// last free slot); what follows from them (starting a held request, refusing one) runs
/// after the lock is released.
public final class FleetScheduler: Sendable {
    let state: Mutex<State>
    /// Rung when a request is held: the endpoint monitor then reconsiders held requests
    /// every `EndpointMonitor.tick` (their wait bounds, rents that ran out).
    let wake: WakeSignal
    /// Whether any request is held or attached (the hold queue or `waiters` not empty),
    /// rewritten under the lock wherever either changes (`State.noteHeld`). `leave`, on
    /// every request's path, reads it without taking the lock: a request is put on hold
    /// (`admit`, `attach`) by its own exchange, whose later `leave` cannot read a value
    /// older than that write; a later `false` was written with both empty, so after it left.
    let anyHeld = Atomic<Bool>(false)

    struct State {
        var core: ResidencyScheduler
        var holds: HoldQueue<UInt64>
        var waiters: [UInt64: Waiter] = [:]
        /// Unloads decided and not yet taken by the sender (`takeUnloadOrders`).
        var unloads: [UnloadOrder] = []
    }

    struct Waiter {
        var request: HeldRequest
        var model: String
        var displayName: String
    }

    /// What `admit` decided.
    public enum Admission: Sendable, Equatable {
        /// Start now, in this order; the slot is already counted.
        case dispatch(Placement)
        /// Held in Olla's queue; the owner must `attach` itself.
        case held(Placement)
        /// The model's queue is full.
        case refused(ProxyError, retryAfterSeconds: Int)
    }

    /// A scheduler for `endpoints` with `settings`; `wake` is rung when a request is held.
    public init(settings: SchedulerSettings, endpoints: [EndpointConfig], wake: WakeSignal = WakeSignal()) {
        self.wake = wake
        let core = ResidencyScheduler(settings: settings, instances: endpoints.map(Self.instanceConfig))
        state = Mutex(State(core: core, holds: HoldQueue(maxLength: settings.queueLength, maxWait: settings.queueTimeout)))
    }

    /// Installs a new configuration, keeping what was learned about unchanged instances.
    /// Requests already held stay held (their bounds are the ones they were held under).
    public func configure(settings: SchedulerSettings, endpoints: [EndpointConfig]) {
        state.withLock { state in
            state.core.settings = settings
            state.core.configure(endpoints.map(Self.instanceConfig))
        }
    }

    static func instanceConfig(_ endpoint: EndpointConfig) -> ResidencyScheduler.InstanceConfig {
        .init(name: endpoint.name, numParallel: endpoint.numParallel, maxLoadedModels: endpoint.maxLoadedModels,
              reportsResidency: endpoint.type == .ollama)
    }

    /// A copy of the pure state (status pages, tests).
    public var snapshot: ResidencyScheduler { state.withLock { $0.core } }

    /// Requests held per model (canonical name).
    public var heldCounts: [String: Int] { state.withLock { $0.holds.lengths } }

    /// Whether any request is held now.
    public var holdsRequests: Bool { state.withLock { !$0.holds.isEmpty } }

    // MARK: Requests

    /// Decides request `id` for `model` among `candidates` at `now`: dispatch (the slot is
    /// counted at once), hold, or refuse when the model's queue is full. A model that has
    /// requests held already holds newcomers behind them: first come, first served.
    /// `key`: `ModelName.canonical(model)` when the caller has it (the router does), so it is
    /// not computed twice per request.
    public func admit(_ id: UInt64, model displayName: String, key: String? = nil, candidates: [SchedulingCandidate],
                      now: ContinuousClock.Instant = .now) -> Admission {
        let model = key ?? ModelName.canonical(displayName)
        return state.withLock { state -> Admission in
            // The held counts first: the demand keeps the queue this request finds (a pump may
            // have dispatched held requests since they were last reported).
            // Nothing held and nothing reported held: the counts are empty already.
            if !state.holds.isEmpty || !state.core.held.isEmpty { state.core.held = state.holds.lengths }
            state.core.requested(model, offeredBy: candidates, now: now)
            let placement = state.core.decide(model, candidates: candidates, now: now).takingAFreeSlot()
                .joiningQueue(model, state.core, now: now)
            _ = state.orderUnload(placement, for: model, now: now)  // rung by `attach`, which follows a hold
            if case .dispatch(let estimates) = placement, state.holds.count(model) == 0 {
                state.core.dispatched(id, model: model, displayName: displayName, to: estimates[0].candidate.name,
                                      slot: estimates[0].candidate.slot, estimatedWait: estimates[0].expectedWait, now: now)
                return .dispatch(placement)
            }
            do {
                try state.holds.hold(id, model: model, now: now)
                state.noteHeld(anyHeld)
            } catch {
                let error = ProxyError(.serviceUnavailable,
                                       "too many requests waiting for model '\(displayName)' (\(state.holds.maxLength)); try again")
                return .refused(error, retryAfterSeconds: Self.retryAfter(placement))
            }
            return .held(.hold(placement.estimates))
        }
    }

    /// The held request `id` is ready to be released; it is considered at once.
    func attach(_ id: UInt64, model displayName: String, request: HeldRequest, now: ContinuousClock.Instant = .now) {
        let known = state.withLock { state -> Bool in
            guard state.holds.contains(id) else { return false }
            state.waiters[id] = Waiter(request: request, model: ModelName.canonical(displayName), displayName: displayName)
            state.noteHeld(anyHeld)
            return true
        }
        guard known else { return }
        pump(now: now)
        wake.ring()
    }

    /// Request `id` left (its client hung up, or it completed): it is no longer held.
    func leave(_ id: UInt64) {
        // Every request leaves, and almost none was held: with nothing held there is nothing
        // to remove (a waiter is only ever attached to a held id), and that is known without
        // the lock (`anyHeld`), which both workers would otherwise take for every request.
        guard anyHeld.load(ordering: .acquiring) else { return }
        state.withLock { state in
            guard !state.holds.isEmpty || !state.waiters.isEmpty else { return }
            state.holds.remove(id)
            state.waiters[id] = nil
            state.noteHeld(anyHeld)
        }
    }

    /// Attempt of request `id` starts on `endpoint` (the first, or a failover).
    func attemptStarted(_ id: UInt64, model displayName: String, endpoint: String, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            // Placed there already (`admit` placed every first attempt): nothing changes, no estimate needed.
            guard state.core.placement(of: id) != endpoint else { return }
            let model = ModelName.canonical(displayName)
            let wait = state.core.estimate(model, on: SchedulingCandidate(name: endpoint), now: now).expectedWait
            state.core.dispatched(id, model: model, displayName: displayName, to: endpoint, estimatedWait: wait, now: now)
        }
    }

    /// The response head of request `id` arrived with `status`.
    func headReceived(_ id: UInt64, endpoint: String, status: Int, now: ContinuousClock.Instant = .now) {
        // Whether anything is held is read under the same lock: `pump` took it a second time
        // only to find the hold queue empty (~0.25 K instructions per call, every request).
        let anyHeld = state.withLock { state -> Bool in
            state.core.firstByte(id, succeeded: (200..<300).contains(status), now: now)
            if status == 503 { state.core.refusedBusy(endpoint, now: now) }
            return !state.holds.isEmpty
        }
        if anyHeld { pump(now: now) }
    }

    /// The attempt of request `id` ended: its slot is free, and held requests may start.
    /// - Returns: where it ran and what Olla expected of it.
    @discardableResult
    func attemptEnded(_ id: UInt64, now: ContinuousClock.Instant = .now) -> (instance: String, request: RunningRequest)? {
        // One lock taking, as in `headReceived`: `pump` runs only when something is held.
        var anyHeld = false
        let ended = state.withLock { state in
            anyHeld = !state.holds.isEmpty
            return state.core.ended(id, now: now)
        }
        if ended != nil, anyHeld { pump(now: now) }
        return ended
    }

    /// A final chunk from `endpoint` reported `timings` for `model`; `key`: its canonical name
    /// when the caller has it (the router's plan), else computed here.
    func learn(_ displayName: String, key: String? = nil, on endpoint: String, timings: GenerationTimings,
               observedSeconds: Double?, expectedColdLoad: Bool, now: ContinuousClock.Instant = .now) {
        let model = key ?? ModelName.canonical(displayName)
        state.withLock { state in
            state.core.learn(model, displayName: displayName, on: endpoint, timings: timings,
                             observedSeconds: observedSeconds, expectedColdLoad: expectedColdLoad, now: now)
        }
    }

    /// Request `id` completed with a final chunk from `endpoint` that reported `timings` for
    /// `model`: it leaves (`leave`) and the scheduler learns (`learn`, same arguments) under
    /// one taking of the lock instead of two.
    func completed(_ id: UInt64, learning displayName: String, key: String? = nil, on endpoint: String,
                   timings: GenerationTimings, observedSeconds: Double?, expectedColdLoad: Bool,
                   now: ContinuousClock.Instant = .now) {
        let model = key ?? ModelName.canonical(displayName)
        state.withLock { state in
            if !state.holds.isEmpty || !state.waiters.isEmpty {
                state.holds.remove(id)
                state.waiters[id] = nil
                state.noteHeld(anyHeld)
            }
            state.core.learn(model, displayName: displayName, on: endpoint, timings: timings,
                             observedSeconds: observedSeconds, expectedColdLoad: expectedColdLoad, now: now)
        }
    }

    /// Olla is sending an unload of `model` to `endpoints`.
    func unloading(_ displayName: String, on endpoints: [String]) {
        state.withLock { state in
            for endpoint in endpoints { state.core.unloaded(ModelName.canonical(displayName), on: endpoint) }
        }
    }

    // MARK: Residency reports

    /// `/api/ps` of `endpoint` listed `loaded` at `now`. Ollama's `expires_at` is wall-clock
    /// time; with one keep-alive for all, its order is the order of last use, so the model
    /// expiring last is taken as used now and the others as used that much earlier.
    public func observed(_ loaded: [LoadedModel], on endpoint: String, now: ContinuousClock.Instant = .now) {
        let expiries = loaded.map(\.expiry)
        let latest = expiries.compactMap { $0 }.max()
        let listed = zip(loaded, expiries).map { model, expiry -> InstanceResidency.Listed in
            let expiresIn = expiry.flatMap { expiry in latest.map { latest in
                SchedulerSettings.ollamaKeepAlive - Self.difference(latest, expiry)
            } }
            return .init(model: ModelName.canonical(model.name), name: model.name, expiresIn: expiresIn, sizeVRAM: model.sizeVRAM)
        }
        state.withLock { $0.core.observed(listed, on: endpoint, now: now) }
        pump(now: now)
    }

    static func difference(_ later: RFC3339Timestamp, _ earlier: RFC3339Timestamp) -> Duration {
        .seconds(later.unixSeconds - earlier.unixSeconds) + .nanoseconds(later.nanoseconds - earlier.nanoseconds)
    }

    /// Whether `endpoint` has requests of Olla's running, or requests are held: then its
    /// residency is polled often.
    public func isActive(_ endpoint: String) -> Bool {
        state.withLock { state in
            let running = state.core.position(of: endpoint).map { !state.core.fleet[$0].running.isEmpty } ?? false
            return running || !state.holds.isEmpty
        }
    }

    // MARK: Late binding

    /// Starts every held request that an instance can start now, first come first served
    /// per model, and refuses those past their wait bound or left with no instance.
    public func pump(now: ContinuousClock.Instant = .now) {
        var releases: [(HeldRequest, [PlacementEstimate], String)] = []
        var refusals: [(HeldRequest, ProxyError, Int)] = []
        var ordered = false
        state.withLock { state in
            guard !state.holds.isEmpty else { return }
            defer { state.noteHeld(anyHeld) }
            for id in state.holds.expire(now: now) {
                guard let waiter = state.waiters.removeValue(forKey: id) else { continue }
                let error = ProxyError(.serviceUnavailable,
                                       "no instance could start model '\(waiter.displayName)' within \(DurationFormatter.format(state.holds.maxWait)); try again")
                refusals.append((waiter.request, error, 5))
            }
            // Oldest first across models (Ollama admits in arrival order too): each round
            // considers the head of every model's queue, oldest first, and starts the first that
            // can start; it ends when none can.
            var stuck: Set<String> = []
            while true {
                let heads = state.holds.lengths.keys.filter { !stuck.contains($0) }
                    .compactMap { model in state.holds.first(model).map { (model, $0) } }
                    .sorted { $0.1.heldAt < $1.1.heldAt }
                guard let (model, first) = heads.first else { break }
                guard let waiter = state.waiters[first.id] else { stuck.insert(model); continue }
                let candidates = waiter.request.holdCandidates(model: waiter.displayName)
                guard !candidates.isEmpty else {
                    state.holds.removeFirst(model)
                    state.waiters[first.id] = nil
                    let error = ProxyError(.serviceUnavailable,
                                           "model '\(waiter.displayName)' is only on instances that are unavailable")
                    refusals.append((waiter.request, error, 10))
                    continue
                }
                state.core.held = state.holds.lengths
                let placement = state.core.decide(model, candidates: candidates, now: now,
                                                  heldWaiting: state.holds.totalWait(model, now: now),
                                                  queuedBehind: state.holds.count(model) - 1,
                                                  oldestWaiting: (now - first.heldAt).schedulingSeconds)
                    .takingAFreeSlot().joiningQueue(model, state.core, now: now)
                ordered = state.orderUnload(placement, for: model, now: now) || ordered
                guard case .dispatch(let estimates) = placement else { stuck.insert(model); continue }
                // A new copy goes to the held request that would otherwise start last; the
                // older ones keep the slots that free before the copy is loaded.
                let (entry, taker) = Self.loadTaker(model, estimates, state: state) ?? (first, waiter)
                state.holds.remove(entry.id, model: model)
                state.waiters[entry.id] = nil
                state.core.dispatched(entry.id, model: model, displayName: taker.displayName,
                                      to: estimates[0].candidate.name, estimatedWait: estimates[0].expectedWait, now: now)
                let waited = PlacementEstimate.seconds((now - entry.heldAt).schedulingSeconds)
                releases.append((taker.request, estimates, "held \(waited) s, then \(placement.reason)"))
            }
        }
        if ordered { wake.ring() }  // the endpoint monitor sends the unloads
        for (request, error, retryAfter) in refusals { request.refuse(error, retryAfterSeconds: retryAfter) }
        for (request, estimates, reason) in releases { request.release(estimates, reason: reason) }
    }

    /// The held request of `model` to send to the load `estimates` starts, when it is not
    /// the first in line (`ResidencyScheduler.loadTaker`); nil: the first.
    private static func loadTaker(_ model: String, _ estimates: [PlacementEstimate],
                                  state: State) -> (HoldQueue<UInt64>.Entry, Waiter)? {
        let queue = state.holds.entries(model)
        let index = state.core.loadTaker(model, estimates, held: queue.count)
        // A request admitted a moment ago may not be attached yet: the one before it then.
        for turn in stride(from: index, to: 0, by: -1) {
            if let waiter = state.waiters[queue[turn].id] { return (queue[turn], waiter) }
        }
        return nil
    }

    /// Seconds a refused client should wait: the best estimate, at least 1, at most 60.
    static func retryAfter(_ placement: Placement) -> Int {
        let best = placement.estimates.first?.expectedWait ?? 5
        return Int(min(60, max(1, best.rounded(.up))))
    }
}

extension FleetScheduler.State {
    /// Writes whether anything is held or attached now to `anyHeld` (under the lock, after
    /// the hold queue or `waiters` changed), only when that changed: a write to a line both
    /// workers read on every request's path would move it between their caches.
    func noteHeld(_ anyHeld: borrowing Atomic<Bool>) {
        let held = !holds.isEmpty || !waiters.isEmpty
        if anyHeld.load(ordering: .relaxed) != held { anyHeld.store(held, ordering: .releasing) }
    }
}

extension Placement {
    /// `.hold` turned into `.dispatch` to a free slot of the model in the chosen tier, when
    /// the best estimate is one that cannot start now (a load that awaits payment, a copy
    /// whose queue relief ranks it first). Waiting for it would leave that slot idle beside
    /// the request; a load is still made, for a request further back in line (`loadTaker`).
    func takingAFreeSlot() -> Placement {
        guard case .hold(let estimates) = self, let best = estimates.first,
              let free = estimates.firstIndex(where: {
                  $0.candidate.priority == best.candidate.priority && $0.residency != .cold && $0.canStartNow
                      && !$0.awaitsPayment
              }) else { return self }
        var ordered = estimates
        ordered.insert(ordered.remove(at: free), at: 0)
        return .dispatch(ordered)
    }

    /// `.hold` turned into `.dispatch` when the best instance's own queue is where the
    /// request would end up anyway (`ResidencyScheduler.joinsQueue`).
    func joiningQueue(_ model: String, _ scheduler: ResidencyScheduler, now: ContinuousClock.Instant) -> Placement {
        guard case .hold(let estimates) = self, scheduler.joinsQueue(model, estimates, now: now) else { return self }
        return .dispatch(estimates)
    }
}
