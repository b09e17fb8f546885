import Synchronization

/// A doorbell for a loop that sleeps until its next deadline: `ring()` ends the sleep in
/// progress early, or, when nobody sleeps, the next one at once (rings in between are
/// remembered as one, so none is lost between two sleeps).
///
/// The endpoint monitor sleeps on one of these instead of waking on a fixed tick: an idle
/// daemon then wakes only when something is due, and whatever changes what is due (a probe
/// or read that ended, a request held, traffic that moved a probe earlier) rings it.
public final class WakeSignal: Sendable {
    private struct State {
        var rung = false
        var sleeper: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// A signal nobody has rung.
    public init() {}

    /// Ends the sleep in progress, or the next one at once when none is in progress.
    public func ring() {
        let sleeper = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let sleeper = state.sleeper else {
                state.rung = true
                return nil
            }
            state.sleeper = nil
            return sleeper
        }
        sleeper?.resume()
    }

    /// Whether a sleep is in progress (tests wait for it before ringing).
    var isSleeping: Bool { state.withLock { $0.sleeper != nil } }

    /// Sleeps until `deadline`, a `ring()`, or the calling task's cancellation, whichever
    /// comes first. One sleeper at a time (a second is a programming error and traps).
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
                    precondition(state.sleeper == nil, "WakeSignal: one sleeper at a time")
                    state.sleeper = continuation
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
