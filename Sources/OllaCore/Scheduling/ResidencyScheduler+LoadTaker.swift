extension ResidencyScheduler {
    /// Which of the `held` requests held for `model` (0: first in line) is sent to the load
    /// `estimates[0]` starts, when the decision for the first in line is a new copy.
    ///
    /// A new copy is ready only after its load, and the copies that hold the model free a
    /// slot now and then meanwhile: the first in line would often wait the whole load while
    /// a slot frees a moment later. So each held request, in line order (first come, first
    /// served), takes the earliest expected start — the next slot of a copy in the copy's
    /// tier (after its `queueWait`, then one generation per slot for each request before it),
    /// or the new copy once it is ready (`expectedWait`). The request whose turn comes when
    /// the copy is the earliest start takes it; the last in line when every slot starts them
    /// all sooner (the copy is made for what arrives next). The others keep their place.
    /// Anything but a new copy (a free slot, or a load where no copy exists to wait for) goes
    /// to the first in line.
    public func loadTaker(_ model: String, _ estimates: [PlacementEstimate], held: Int) -> Int {
        guard held > 1, let load = estimates.first, load.residency == .cold else { return 0 }
        // Each copy of the tier: when its next slot frees, and the seconds between its slots.
        var copies: [(next: Double, every: Double)] = estimates.dropFirst().compactMap { estimate in
            guard estimate.residency != .cold, estimate.candidate.priority == load.candidate.priority else { return nil }
            let at = position(of: estimate.candidate.name, slot: estimate.candidate.slot)
            let slots = at.flatMap { fleet[$0].slotsPerModel } ?? 1
            return (estimate.queueWait, generationTime(model, on: estimate.candidate.name) / Double(max(1, slots)))
        }
        guard !copies.isEmpty else { return 0 }
        for turn in 0..<held {
            let soonest = copies.indices.min { copies[$0].next < copies[$1].next }!
            if load.expectedWait <= copies[soonest].next { return turn }
            copies[soonest].next += copies[soonest].every
        }
        return held - 1
    }
}
