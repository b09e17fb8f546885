extension InstanceResidency {
    /// The longest a load here waits for the answer to Olla's unload: past it the unload is
    /// taken as lost (the next `/api/ps` poll says what became of it).
    public static let unloadAnswerBound = Duration.seconds(5)
    /// How long Olla sends no unload here after one was refused or failed.
    public static let unloadPause = Duration.seconds(30)
    /// How long after Olla's unload a poll listing the model is not believed: the poll may
    /// have been answered before the unload arrived, and Ollama lists an expiring model until
    /// its runner is gone (server/sched.go unloads it after answering).
    public static let unloadListingGrace = Duration.seconds(2)

    /// Whether a poll at `now` listing `model` (canonical) is one that raced Olla's unload of it.
    func listingRacedUnload(_ model: String, now: ContinuousClock.Instant) -> Bool {
        guard let unload = lastUnload, unload.model == model else { return false }
        return now - unload.sentAt.instant < Self.unloadListingGrace
    }

    /// Whether a load here must wait for the answer to Olla's unload at `now`: sent after
    /// the unload on another connection, the load could reach Ollama first and evict the
    /// model Ollama chooses (server/sched.go findRunnerToUnload) instead of the one unloaded.
    public func awaitsUnload(now: ContinuousClock.Instant) -> Bool {
        guard let unload = lastUnload, !unload.answered else { return false }
        return now - unload.sentAt.instant < Self.unloadAnswerBound
    }

    /// Whether Olla may send an unload here at `now`: none in flight, none failed lately.
    func mayUnload(now: ContinuousClock.Instant) -> Bool {
        reportsResidency && !awaitsUnload(now: now) && (unloadsPausedUntil.map { now >= $0 } ?? true)
    }

    /// The idle models here Olla could unload to make room for `model` at `now`: resident
    /// (not loading), no request of Olla's running, least recently used first (Ollama's
    /// order among idle models when keep-alives are equal).
    func idleModels(sparing model: String, now: ContinuousClock.Instant) -> [String] {
        models.filter { $0.key != model && runningCount($0.key) == 0 && !$0.value.isLoading(now: now) }
            .sorted { ($0.value.lastUsed, $0.key) < ($1.value.lastUsed, $1.key) }
            .map(\.key)
    }

    /// Olla sends an unload of `model` (canonical) here at `now` to make room: the model
    /// is gone at once as far as Olla's decisions go, and loads wait for the answer.
    public mutating func unloadSent(_ model: String, now: ContinuousClock.Instant) {
        let name = models[model]?.name ?? model
        models[model] = nil
        // A poll that raced the unload may still list it: no evidence that more fit.
        predictedEvictions.insert(model)
        lastUnload = SentUnload(model: model, name: name, sentAt: StoredInstant(now))
        unloadsSent += 1
    }

    /// The unload Olla sent here was answered at `now`: `succeeded` (Ollama marks the model
    /// to expire first, `done_reason: "unload"`), or refused or failed (Olla then leaves
    /// evictions to Ollama here for `unloadPause`; the next poll says what is resident).
    public mutating func unloadAnswered(succeeded: Bool, now: ContinuousClock.Instant) {
        if succeeded {
            lastUnload?.answered = true
        } else {
            lastUnload = nil
            unloadsPausedUntil = now + Self.unloadPause
        }
    }
}

/// An unload Olla sent to an instance to make room (`InstanceResidency.lastUnload`).
struct SentUnload: Sendable {
    /// The model unloaded (canonical).
    var model: String
    /// The model as the instance lists it (for the reason header).
    var name: String
    /// When the unload was sent.
    var sentAt: StoredInstant
    /// Whether its answer came (a 2xx; a refusal or failure drops the whole record).
    var answered = false
    /// Whether a load has taken the room it made (its reason named the unloaded model).
    var roomTaken = false
}
