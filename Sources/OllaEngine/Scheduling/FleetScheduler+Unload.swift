import OllaCore

/// The unloads Olla sends to choose what a load evicts (`ResidencyScheduler+Unload.swift`):
/// decided under the scheduler's lock with the request they make room for, sent by the
/// endpoint monitor (`ModelUnloader`), answered back here.
extension FleetScheduler {
    /// Takes the unloads decided since the last call, to send now.
    public func takeUnloadOrders() -> [UnloadOrder] {
        state.withLock { state in
            defer { state.unloads = [] }
            return state.unloads
        }
    }

    /// The unload `order` was answered (`succeeded`: a 2xx status) at `now`: loads on its
    /// instance may go, and the held request it made room for is considered at once.
    public func unloadAnswered(_ order: UnloadOrder, succeeded: Bool, now: ContinuousClock.Instant = .now) {
        state.withLock { $0.core.unloadAnswered(order, succeeded: succeeded, now: now) }
        pump(now: now)
    }

    /// Unloads sent here to make room, per endpoint (status pages, metrics).
    public var unloadsSent: [(endpoint: String, count: Int)] {
        state.withLock { state in
            state.core.fleet.filter { $0.unloadsSent > 0 }.map { ($0.name, $0.unloadsSent) }
                .sorted { $0.0 < $1.0 }
        }
    }
}

extension FleetScheduler.State {
    /// Queues the unload `placement` orders, if any (`ResidencyScheduler.orderUnload`).
    /// - Returns: whether one was ordered (the sender must be woken).
    mutating func orderUnload(_ placement: Placement, for model: String, now: ContinuousClock.Instant) -> Bool {
        guard let order = core.orderUnload(placement, for: model, now: now) else { return false }
        unloads.append(order)
        return true
    }
}
