/// In-flight bookkeeping: which instance counts this request as running (and streaming) now.
/// A started attempt is counted by the event that starts it (`Action.Start.replacedInFlight`);
/// the owner changes the registry's counters after the lock, from what these return.
extension RequestStateMachine {
    /// Ends the current count, if any; returns it for the owner to end. Idempotent.
    mutating func takeInFlight() -> RequestFacts.InFlight? {
        defer { facts.inFlight = nil }
        return facts.inFlight
    }

    /// A head with `status` arrived: a 2xx answer also counts as a stream on the instance.
    /// Returns the instance's count the first time, nil otherwise.
    mutating func noteStreaming(status: Int) -> RequestFacts.InFlight? {
        guard (200..<300).contains(status), var inFlight = facts.inFlight, !inFlight.streaming else { return nil }
        inFlight.streaming = true
        facts.inFlight = inFlight
        return inFlight
    }
}
