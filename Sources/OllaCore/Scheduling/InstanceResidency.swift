/// What one Ollama instance holds in memory and is doing, as Olla believes it now.
///
/// Pure state fed by events, each carrying `now`: `/api/ps` polls (`observed`), Olla's own
/// decisions (`dispatched`), what responses reveal (`firstByte`, `finished`), unloads and
/// 503 "server busy". Between polls it predicts what Ollama's scheduler does with the
/// requests Olla sent (server/sched.go): a request for a model that is not resident loads
/// it, evicting the least recently used idle model when `maxLoadedModels` are resident.
public struct InstanceResidency: Sendable, Equatable {
    /// The endpoint's configured name.
    public let name: String
    /// `num_parallel` from the configuration; nil means learned (starting at Ollama's default).
    public let configuredParallel: Int?
    /// `max_loaded_models` from the configuration; nil means learned (starting at Ollama's default).
    public let configuredMaxLoaded: Int?
    /// Whether the instance reports residency (`/api/ps`). OpenAI-compatible servers do not:
    /// their one model counts as always resident, and slots are unlimited unless configured.
    public let reportsResidency: Bool

    /// Requests run in parallel per model, the most observed (or Ollama's default).
    public internal(set) var learnedParallel: Int
    /// Models resident at once, learned from `/api/ps` (or Ollama's default).
    public internal(set) var learnedMaxLoaded: Int
    /// Resident (or loading) models by canonical name.
    public internal(set) var models: [String: ResidentModel] = [:]
    /// Requests in flight by dispatch id (changed only by `dispatched` and `ended`, which keep
    /// `runningPerModel` with it).
    public internal(set) var running: [UInt64: RunningRequest] = [:]
    /// How many of `running` run each model (canonical; a model with none may be listed at
    /// 0): a model's count is a short search of a few entries (`runningCount`), where it was a
    /// scan of every running request of every model, per estimate (~20 instructions per
    /// running request: 0.65 K per scheduled request with 32 in flight).
    var runningPerModel: [RunningModelCount] = []
    /// Learned costs by canonical model name.
    public internal(set) var costs: [String: LearnedCosts] = [:]
    /// Until when the instance is treated as full after a 503 "server busy".
    public internal(set) var busyUntil: ContinuousClock.Instant?
    /// Whether `slotsPerModel` is known to be the bound: configured, or an extra request sent
    /// beyond the learned slots had to wait for one to end.
    public internal(set) var parallelConfirmed: Bool
    /// The request sent beyond the learned slots to find out whether more run at once, and
    /// whether a request of its model ended while it waited for its first byte.
    var slotProbe: (id: UInt64, sawEnd: Bool)?
    /// Models predicted evicted since the last `/api/ps` poll.
    var predictedEvictions: Set<String> = []
    /// Cold loads Olla caused here (final chunks with a load), for metrics.
    public internal(set) var coldLoads = 0
    /// The last unload Olla sent here to make room (`InstanceResidency+Unload.swift`),
    /// until it is refused or fails: whether loads here wait for its answer
    /// (`awaitsUnload`), which poll listing is stale (`listingRacedUnload`), what the next
    /// load's reason names (`roomMadeBy`).
    var lastUnload: SentUnload?
    /// The model Olla unloaded here to make room for the next load (named in its reason);
    /// nil once a load took that room.
    public var roomMadeBy: String? { lastUnload.flatMap { $0.roomTaken ? nil : $0.name } }
    /// Unloads Olla sent here to make room, for metrics.
    public internal(set) var unloadsSent = 0
    /// After an unload was refused or failed, Olla sends none here until then.
    var unloadsPausedUntil: ContinuousClock.Instant?

    /// An instance nothing is known about yet.
    public init(name: String, numParallel: Int? = nil, maxLoadedModels: Int? = nil, reportsResidency: Bool = true) {
        self.name = name
        self.configuredParallel = numParallel
        self.configuredMaxLoaded = maxLoadedModels
        self.reportsResidency = reportsResidency
        self.learnedParallel = numParallel ?? SchedulerSettings.ollamaNumParallel
        self.learnedMaxLoaded = maxLoadedModels ?? SchedulerSettings.ollamaMaxLoadedModels
        self.parallelConfirmed = numParallel != nil || !reportsResidency
    }

    /// Whether one more request of `model` may be sent beyond its learned slots to learn
    /// whether more run at once: slots not confirmed, and no such probe in flight.
    func maySendSlotProbe(_ model: String) -> Bool {
        !parallelConfirmed && slotProbe == nil
    }

    /// Equal residency: name, models, running requests and learned costs.
    public static func == (a: InstanceResidency, b: InstanceResidency) -> Bool {
        a.name == b.name && a.models == b.models && a.running == b.running && a.costs == b.costs
            && a.learnedParallel == b.learnedParallel && a.learnedMaxLoaded == b.learnedMaxLoaded
            && a.parallelConfirmed == b.parallelConfirmed && a.busyUntil == b.busyUntil
            && a.slotProbe?.id == b.slotProbe?.id && a.slotProbe?.sawEnd == b.slotProbe?.sawEnd
    }

    /// Parallel slots per model: configured, else learned; unlimited (nil) for a server
    /// without residency reports and no configuration.
    public var slotsPerModel: Int? {
        if let configuredParallel { return configuredParallel }
        return reportsResidency ? learnedParallel : nil
    }

    /// Models that fit at once: configured, else learned.
    public var maxLoadedModels: Int { configuredMaxLoaded ?? learnedMaxLoaded }

    /// Requests in flight for `model` (canonical).
    public func runningCount(_ model: String) -> Int {
        var count = 0
        for index in runningPerModel.indices where runningPerModel[index].model == model {
            count = runningPerModel[index].count
            break
        }
        assert(count == running.values.reduce(0) { $0 + ($1.model == model ? 1 : 0) },
               "runningPerModel out of step with running")
        return count
    }

    /// Counts `running`'s changes into `counts` (`runningPerModel`): `delta` more requests of
    /// `model`. A model's entry stays at 0 for its next request (removing and appending it
    /// again cost ~0.1 K per request); the entries at 0 are dropped when a new model finds 8
    /// entries. (Static on the array: as a mutating method, passing it `request.model` of a
    /// local request copied the whole request first.)
    static func countRunning(_ counts: inout [RunningModelCount], _ model: String, _ delta: Int) {
        for index in counts.indices where counts[index].model == model {
            counts[index].count += delta
            return
        }
        guard delta > 0 else { return }
        if counts.count >= 8 { counts.removeAll { $0.count == 0 } }
        counts.append(RunningModelCount(model: model, count: delta))
    }

    /// `request` left `running`: one fewer of its model in `counts` (the request borrowed).
    static func uncount(_ counts: inout [RunningModelCount], _ request: borrowing RunningRequest) {
        countRunning(&counts, request.model, -1)
    }

    /// Whether `model` (canonical) is resident or loading.
    public func holds(_ model: String) -> Bool {
        // `index(forKey:)`: `models[model] != nil` copied the entry out as an Optional first.
        !reportsResidency || models.index(forKey: model) != nil
    }

    /// The model Ollama would evict to make room at `now`: an idle one (no request of Olla's
    /// running), least recently used first; nil when there is room or nothing is idle.
    public func predictedVictim(now: ContinuousClock.Instant, sparing model: String) -> String? {
        guard reportsResidency, models.index(forKey: model) == nil, models.count >= maxLoadedModels else { return nil }
        return models.filter { $0.key != model && runningCount($0.key) == 0 && !$0.value.isLoading(now: now) }
            .min { ($0.value.lastUsed, $0.key) < ($1.value.lastUsed, $1.key) }?.key
    }

    /// A load of another model in progress at `now`: a new load here starts after it (Ollama
    /// loads one model at a time on a device, server/sched.go). Requests for resident models
    /// are held up by less: `secondsAdmissionHeldUp`.
    public func secondsUntilLoadsEnd(now: ContinuousClock.Instant, except model: String) -> Double {
        // A loop, not filter/map/max: no dictionary and array built per estimate.
        var latest: Double? = nil
        for (key, resident) in models where key != model {
            let seconds = resident.secondsUntilReady(now: now)
            if latest.map({ seconds > $0 }) ?? true { latest = seconds }
        }
        return latest ?? 0
    }

    /// Seconds until Ollama admits a request for a resident `model` at `now`, held up by
    /// another model's load. Ollama takes pending requests one at a time in arrival order
    /// (server/sched.go `processPending`): the request whose load it is does not hold the
    /// line (the load runs beside the scheduler), but a further request for the loading model
    /// waits for the load (`useLoadedRunner` takes the loading runner's lock), and every
    /// request behind it waits too; so does everything behind a load that must wait for room
    /// (a busy model to go idle and be unloaded). So another model's load holds up this
    /// model's requests only while one of Olla's requests for the loading model, other than
    /// the one that caused the load, is sent and has no first byte, or while more models are
    /// resident and loading than fit; a load seen only in `/api/ps`, or one with just its own
    /// request and room, holds up nothing.
    public func secondsAdmissionHeldUp(now: ContinuousClock.Instant, except model: String) -> Double {
        let waitsForRoom = reportsResidency && models.count > maxLoadedModels
        var latest = 0.0
        for (key, resident) in models where key != model {
            let seconds = resident.secondsUntilReady(now: now)
            guard seconds > latest else { continue }
            if waitsForRoom || running.values.contains(where: { $0.model == key && !$0.expectedColdLoad && !$0.hasFirstByte }) {
                latest = seconds
            }
        }
        return latest
    }

    /// The learned costs of `model` here, if any.
    public func learned(_ model: String) -> LearnedCosts? { costs[model] }
}

/// One model's count of running requests on an instance (`InstanceResidency.runningPerModel`).
struct RunningModelCount: Sendable {
    /// The model (canonical name).
    var model: String
    /// Its requests in `running`.
    var count: Int
}
