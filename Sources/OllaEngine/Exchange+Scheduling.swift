import OllaCore

/// The exchange as the `residency-aware` scheduler sees it: a request it may hold, release
/// or refuse, whose attempts it counts and whose final chunk teaches it costs.
extension Exchange: HeldRequest {
    /// Whether the scheduler placed this request (and so counts its attempts).
    var isScheduled: Bool { details.withLock { $0.plan?.scheduled ?? false } }

    func holdCandidates() -> [SchedulingCandidate] {
        guard let model = details.withLock({ $0.model }) else { return [] }
        return context.router.schedulingCandidates(model: model, flavor: route.flavor)
    }

    func release(_ placement: [PlacementEstimate], reason: String) {
        var plan = context.router.releasedPlan(placement, reason: reason)
        let candidates: [EndpointTarget]
        if case .forward(let targets) = plan.target { candidates = targets } else { candidates = [] }
        details.withLock { details in
            plan.estimatedWait = details.plan?.estimatedWait
            details.plan = plan
            details.candidates = candidates
        }
        let actions = withMachine { machine -> ExchangeStateMachine.Actions in
            guard !candidates.isEmpty else {
                return machine.answerLocally(ProxyError(.serviceUnavailable, "no instance can take this request"))
            }
            machine.setCandidateCount(candidates.count)
            return machine.heldRequestReleased()
        }
        guard case .start = actions.upstream else {
            // The client left (or was answered) meanwhile: give the slot back.
            context.registry.scheduler.attemptEnded(id)
            return
        }
        perform(actions.upstream)
    }

    func refuse(_ error: ProxyError, retryAfterSeconds: Int) {
        details.withLock { details in
            guard var plan = details.plan else { return }
            plan.target = .reject(error, retryAfterSeconds: retryAfterSeconds)
            plan.decision = .rejected
            details.plan = plan
        }
        _ = withMachine { $0.answerLocally(error) }
    }

    /// Teaches the scheduler from the final chunk and records how good its estimate was.
    func scheduledRequestCompleted(_ record: AccessRecord) {
        guard isScheduled, let endpoint = record.endpoint, let model = record.model else { return }
        let (lastRun, estimate) = details.withLock { ($0.lastRun, $0.plan?.estimatedWait) }
        let timings = record.tokens?.timings
        if let timings, (200..<300).contains(record.status) {
            let streamed = record.timeToFirstByte.map { (record.duration - $0).schedulingSeconds }
            context.registry.scheduler.learn(model, on: endpoint, timings: timings, observedSeconds: streamed,
                                             expectedColdLoad: lastRun?.expectedColdLoad ?? false)
        }
        context.scheduled(endpoint: endpoint, coldLoad: timings?.wasColdLoad ?? false,
                          estimatedWait: estimate, timeToFirstByte: record.timeToFirstByte)
    }
}
