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
        var sleepers: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// A signal nobody has rung.
    public init() {}

    /// Ends every sleep in progress, or the next one at once when none is in progress.
    public func ring() {
        let sleepers = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.sleepers.isEmpty { state.rung = true }
            defer { state.sleepers = [] }
            return state.sleepers
        }
        for sleeper in sleepers { sleeper.resume() }
    }

    /// How many sleeps are in progress (tests wait for them before ringing).
    var sleeping: Int { state.withLock { $0.sleepers.count } }

    /// Sleeps until `deadline`, a `ring()`, or the calling task's cancellation, whichever
    /// comes first. A ring meant for another sleeper may end it too: callers re-check what
    /// is due after every wake-up.
    public func sleep(until deadline: ContinuousClock.Instant) async {
        let timer = Task { [weak self] in
            do { try await Task.sleep(until: deadline, clock: .continuous) } catch { return }
            self?.ring()
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ringing = state.withLock { state -> Bool in
                    if state.rung {
                        state.rung = false
                        return true
                    }
                    state.sleepers.append(continuation)
                    return false
                }
                if ringing { continuation.resume() }
            }
        } onCancel: {
            ring()
        }
        timer.cancel()
    }
}
