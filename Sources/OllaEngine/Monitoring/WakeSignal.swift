import Dispatch
import Synchronization

/// A doorbell for a loop that sleeps until its next deadline: `ring()` ends every sleep in
/// progress early, or, when nobody sleeps, the next one at once (rings in between are
/// remembered as one, so none is lost between two sleeps). On a reload the old and the new
/// endpoint monitor sleep on the same signal for a moment: a ring wakes both.
///
/// The endpoint monitor sleeps on one of these instead of waking on a fixed tick: an idle
/// daemon then wakes only when something is due, and whatever changes what is due (a probe
/// or read that ended, a request held, traffic that moved a probe earlier) rings it.
public final class WakeSignal: Sendable {
    private struct State {
        var rung = false
        var sleepers: [Sleeper] = []
        /// Numbers the sleeps, so a deadline that fires after its sleep ended finds nothing.
        var nextSleep: UInt64 = 0
    }

    private struct Sleeper {
        var id: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }

    private let state = Mutex(State())

    /// A signal nobody has rung.
    public init() {}

    /// Ends every sleep in progress, or the next one at once when none is in progress.
    public func ring() {
        let sleepers = state.withLock { state -> [Sleeper] in
            if state.sleepers.isEmpty { state.rung = true }
            defer { state.sleepers = [] }
            return state.sleepers
        }
        for sleeper in sleepers { sleeper.continuation.resume() }
    }

    /// How many sleeps are in progress (tests wait for them before ringing).
    var sleeping: Int { state.withLock { $0.sleepers.count } }

    /// Sleeps until `deadline`, a `ring()`, or the calling task's cancellation, whichever
    /// comes first. A ring meant for another sleeper may end it too: callers re-check what
    /// is due after every wake-up.
    public func sleep(until deadline: ContinuousClock.Instant) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let sleep = state.withLock { state -> UInt64? in
                    if state.rung {
                        state.rung = false
                        return nil
                    }
                    state.nextSleep &+= 1
                    state.sleepers.append(Sleeper(id: state.nextSleep, continuation: continuation))
                    return state.nextSleep
                }
                guard let sleep else { return continuation.resume() }
                wake(sleep, at: deadline)
            }
        } onCancel: {
            ring()
        }
    }

    /// Ends sleep `id` at `deadline` if it is still in progress then.
    ///
    /// A timer on a dispatch queue, not a task sleeping until the deadline: the endpoint
    /// monitor sleeps once or twice a second, and a timer task per sleep (created, asleep,
    /// cancelled by the ring that usually comes first) cost ~20 K instructions each time. A
    /// timer whose sleep already ended finds nothing to end.
    private func wake(_ id: UInt64, at deadline: ContinuousClock.Instant) {
        let delay = deadline - .now
        guard delay > .zero else { return end(id) }
        // Dispatch counts on its own clock: a timer that fires before `deadline` on this one
        // waits for the rest.
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Self.nanoseconds(delay))) { [weak self] in
            self?.wake(id, at: deadline)
        }
    }

    /// Ends sleep `id` if it is still in progress, without ringing for anybody else.
    private func end(_ id: UInt64) {
        let sleeper = state.withLock { state -> Sleeper? in
            guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
            return state.sleepers.remove(at: index)
        }
        sleeper?.continuation.resume()
    }

    /// `delay` in whole nanoseconds (rounded up), at most `Int.max`.
    static func nanoseconds(_ delay: Duration) -> Int {
        let (seconds, attoseconds) = delay.components
        guard seconds < Int64(Int.max / 1_000_000_000) - 1 else { return Int.max }
        return Int(seconds) * 1_000_000_000 + Int((attoseconds + 999_999_999) / 1_000_000_000)
    }
}
