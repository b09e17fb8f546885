import OllaCore

/// The exchange as the `residency-aware` scheduler sees it: a request it may hold, release
/// or refuse, whose attempts it counts and whose final chunk teaches it costs.
extension Exchange: HeldRequest {
    /// Lock-free (the scheduler calls it under its own lock): the model comes from the
    /// scheduler's record of the hold, the flavor from the route.
    func holdCandidates(model: String) -> [SchedulingCandidate] {
        context.router.schedulingCandidates(model: model, flavor: route.flavor)
    }

    func release(_ placement: [PlacementEstimate], reason: String) {
        var plan = context.router.releasedPlan(placement, reason: reason)
        let (action, _) = event { machine in
            plan.estimatedWait = machine.facts.plan?.estimatedWait
            plan.modelKey = machine.facts.plan?.modelKey
            return (machine.heldRequestReleased(plan), ())
        }
        guard case .startAttempt = action else {
            // No attempt starts (the client left, or no instance is left): give the slot back.
            context.registry.scheduler.attemptEnded(id)
            return
        }
        perform(action)
    }

    func refuse(_ error: ProxyError, retryAfterSeconds: Int) {
        run { $0.heldRequestRefused(error, retryAfterSeconds: retryAfterSeconds) }
    }

    /// The request completed: it leaves the scheduler's hold queue (if it is there), the
    /// scheduler learns from the final chunk, and how good its estimate was is recorded. The
    /// leave and the lesson take the scheduler's lock once (`FleetScheduler.completed`).
    func scheduledRequestCompleted(_ record: AccessRecord, _ facts: Completion) {
        guard facts.scheduled, let endpoint = record.endpoint, let model = record.model else {
            context.registry.scheduler.leave(id)
            return
        }
        let timings = record.tokens?.timings
        if let timings, (200..<300).contains(record.status) {
            let streamed = record.timeToFirstByte.map { (record.duration - $0).schedulingSeconds }
            context.registry.scheduler.completed(id, learning: model, key: facts.modelKey, on: endpoint,
                                                 timings: timings, observedSeconds: streamed,
                                                 expectedColdLoad: facts.expectedColdLoad)
        } else {
            context.registry.scheduler.leave(id)
        }
        context.scheduled(endpoint: endpoint, coldLoad: timings?.wasColdLoad ?? false,
                          estimatedWait: facts.estimatedWait, timeToFirstByte: record.timeToFirstByte)
    }
}
