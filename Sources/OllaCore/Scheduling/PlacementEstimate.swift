/// One instance that could serve a request, as the scheduler is told about it.
public struct SchedulingCandidate: Sendable, Equatable {
    /// The endpoint's configured name.
    public var name: String
    /// `priority`: higher tiers are preferred (see `ResidencyScheduler.decide`).
    public var priority: Int
    /// `weight`: shares load among equally good instances of one tier.
    public var weight: Int
    /// Health; busy instances are used, healthy ones win ties.
    public var state: EndpointState
    /// Requests Olla has in flight to the instance (all models).
    public var inFlight: Int
    /// The endpoint's position in the routing snapshot (`EndpointTarget.slot`), when known:
    /// the scheduler finds its instance there without hashing the name (checked by name, so
    /// a slot from an older configuration is only slower). A hint, not part of its identity.
    public var slot: Int?

    /// Creates a candidate.
    public init(name: String, priority: Int = 100, weight: Int = 1, state: EndpointState = .healthy, inFlight: Int = 0,
                slot: Int? = nil) {
        self.name = name
        self.priority = priority
        self.weight = weight
        self.state = state
        self.inFlight = inFlight
        self.slot = slot
    }

    /// Equal candidates: the same instance, tier, weight, state and load (the slot is a lookup hint).
    public static func == (a: SchedulingCandidate, b: SchedulingCandidate) -> Bool {
        a.name == b.name && a.priority == b.priority && a.weight == b.weight && a.state == b.state
            && a.inFlight == b.inFlight
    }
}

/// The expected time to first token of one request on one instance, and its parts.
public struct PlacementEstimate: Sendable, Equatable {
    /// Where the model stands on the instance.
    public enum Residency: String, Sendable, Equatable {
        case loaded, loading, cold
    }

    /// The candidate this estimates.
    public var candidate: SchedulingCandidate
    /// Loaded, loading or cold.
    public var residency: Residency
    /// Seconds until the request gets a slot: requests ahead of it, a load in progress.
    public var queueWait: Double
    /// Seconds of loading the model first (0 unless cold).
    public var loadTime: Double
    /// Seconds charged for evicting `victim`: what its users are expected to pay for it.
    public var evictionPenalty: Double
    /// The model this placement is predicted to evict.
    public var victim: String?
    /// Whether evicting `victim` leaves demand its remaining copies cannot serve (they would
    /// be busy all the time): then the eviction is not made until it is paid for (see `awaitsPayment`).
    public var victimSaturated = false
    /// Seconds the requests held for this model have waited in all, counted against the
    /// eviction penalty when no instance holds the model (waiting cannot end otherwise).
    public var penaltyCredit: Double = 0
    /// Whether the request would start at once (a free slot, or a load that can begin now).
    public var canStartNow: Bool
    /// Seconds of waiting an extra copy saves the requests queued for the model's other
    /// copies: each held behind this one (and each arriving faster than those copies
    /// serve, while this one loads) would otherwise wait one more generation per slot
    /// there. 0 unless cold with copies elsewhere.
    public var queueRelief: Double = 0
    /// Seconds the requests held for this model must have waited, in all, before `victim`'s
    /// last resident copy is evicted for it (rent or buy; see
    /// `ResidencyScheduler.weighLastCopy`). 0: nothing is owed.
    public var lastCopyRent: Double = 0
    /// An extra copy judged before the model's generation time was learned anywhere: the
    /// queue it would relieve is a guess, so it ranks after every other option in its tier.
    public var speculative = false
    /// Seconds the oldest request held for this model must have waited before this load
    /// evicts a model that has requests held (a queue of its own): the load waits to serve a
    /// batch (see `ResidencyScheduler.weighBatch`). 0: nothing to wait for.
    public var batchWait: Double = 0
    /// Seconds the oldest request held for this model has waited (against `batchWait`).
    public var oldestWaited: Double = 0
    /// An extra copy that would evict the last copy of a model with requests held: those
    /// requests start there first (the slot goes to the model resident there), so this
    /// load is never made and ranks after every other option in its tier.
    public var yieldsToQueue = false
    /// Whether Olla unloads `victim` itself (`keep_alive: 0`) before this load, instead of
    /// leaving the choice to Ollama, which would evict `spared` (see
    /// `ResidencyScheduler.choosingVictim`): the request waits for the unload's answer.
    public var unloadsVictim = false
    /// The model Ollama would have evicted when Olla unloads `victim` instead.
    public var spared: String?
    /// The model Olla unloaded on this instance to make room for this load (for the reason).
    public var afterUnloading: String?

    /// The eviction penalty not yet paid for by the model's waiting (`penaltyCredit`).
    public var uncoveredPenalty: Double { max(0, evictionPenalty - penaltyCredit) }

    /// The quantity minimised: seconds to the first token, plus the eviction penalty, less
    /// the queue an extra copy relieves. So an extra copy is made when the last request
    /// queued for the model would wait longer than a load and the penalty; and of two
    /// victims the one whose users lose less is chosen, however long the request waited
    /// (waiting decides when to evict, never which: `awaitsPayment`).
    public var cost: Double { queueWait + loadTime + evictionPenalty - queueRelief }

    /// Rent or buy: an eviction of a saturated victim waits until the model's held requests
    /// have waited, in all, as long as the eviction is expected to cost the victim's users;
    /// an eviction of a wanted last copy waits until they have paid `lastCopyRent`.
    /// Waiting is "rent", evicting "buying"; paying rent up to the price before buying is
    /// never worse than twice the best choice made knowing the future (the ski-rental bound).
    public var awaitsPayment: Bool {
        victim != nil && ((victimSaturated && uncoveredPenalty > 0) || lastCopyRent > penaltyCredit || awaitsBatch)
    }

    /// Whether this load waits for its batch: the oldest request held for the model has not
    /// yet waited `batchWait` (see `ResidencyScheduler.weighBatch`).
    public var awaitsBatch: Bool { batchWait > oldestWaited }

    /// Whether the request is sent now: it can start, owes no rent, and waits for no unload
    /// of Olla's (`unloadsVictim`: the unload goes first, the request after its answer).
    public var startsNow: Bool { canStartNow && !awaitsPayment && !unloadsVictim && !yieldsToQueue }

    /// Whether this estimate, first in a held placement, asks Olla to send the unload of
    /// `victim` now: the load could start but for that unload, and nothing else is owed.
    public var ordersUnload: Bool { unloadsVictim && canStartNow && !awaitsPayment && !yieldsToQueue }

    /// Seconds to the first token, as the client will see it.
    public var expectedWait: Double { queueWait + loadTime }

    /// For `X-Olla-Routing-Reason`: "loaded on gpu-a, queue ~0.8 s", "cold on gpu-b ~1.6 s".
    public var summary: String {
        let name = candidate.name
        switch residency {
        case .loaded:
            guard queueWait < 0.05 else { return "loaded on \(name), queue ~\(Self.seconds(queueWait)) s" }
            // Every request to a free loaded model says this: appended into one buffer sized
            // once (the interpolation cost ~1 K instructions per request).
            var text = "loaded on "
            text.reserveCapacity(16 + name.utf8.count)
            text += name
            text += ", free"
            return text
        case .loading:
            return "loading on \(name) ~\(Self.seconds(queueWait)) s"
        case .cold:
            var evicts = victim.map { ", evicts \($0)" } ?? afterUnloading.map { ", after unloading \($0)" } ?? ""
            if unloadsVictim, let victim {
                evicts = ", unloads \(victim)" + (spared.map { " (not \($0))" } ?? "")
            }
            return "cold on \(name) ~\(Self.seconds(expectedWait)) s\(evicts)"
        }
    }

    /// `value` seconds with one decimal (no Foundation), for reasons and logs.
    public static func seconds(_ value: Double) -> String {
        let tenths = Int((max(0, min(value, 1e6)) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

extension PlacementEstimate {
    /// Creates an estimate.
    ///
    /// (Through the memberwise initializer, which is kept because this one is declared in an
    /// extension: assigning the fields one by one in the struct's own initializer built the
    /// estimate twice on the stack, copied one into the result and destroyed the other, a
    /// copy of every string in it on each estimate, every scheduled request.)
    public init(candidate: SchedulingCandidate, residency: Residency, queueWait: Double, loadTime: Double,
                evictionPenalty: Double = 0, victim: String? = nil, canStartNow: Bool) {
        self.init(candidate: candidate, residency: residency, queueWait: queueWait, loadTime: loadTime,
                  evictionPenalty: evictionPenalty, victim: victim, victimSaturated: false, penaltyCredit: 0,
                  canStartNow: canStartNow, queueRelief: 0, lastCopyRent: 0, speculative: false, batchWait: 0,
                  oldestWaited: 0, yieldsToQueue: false, unloadsVictim: false, spared: nil, afterUnloading: nil)
    }
}

/// What the scheduler decided for one request.
public enum Placement: Sendable, Equatable {
    /// Send it now to the first estimate; the others are the failover order.
    case dispatch([PlacementEstimate])
    /// No instance can start it now: hold it in Olla's queue. The estimates, best first,
    /// say what it waits for.
    case hold([PlacementEstimate])

    /// The estimates, best first.
    public var estimates: [PlacementEstimate] {
        switch self {
        case .dispatch(let estimates), .hold(let estimates): estimates
        }
    }

    /// The reason header's text: the deciding estimate, then the runner-up.
    public var reason: String {
        // The two summaries joined by hand: `prefix(2).map(\.summary).joined` built an array
        // and joined it, on every scheduled request's path.
        var parts = estimates.first?.summary ?? ""
        if estimates.count > 1 { parts += "; " + estimates[1].summary }
        switch self {
        case .dispatch: return parts
        case .hold:
            if let first = estimates.first, first.awaitsBatch, let victim = first.victim {
                return "held for a batch before evicting \(victim): " + parts
            }
            if let first = estimates.first, first.awaitsPayment {
                return "held until the wait pays for evicting \(first.victim ?? "a busy copy"): " + parts
            }
            if let first = estimates.first, first.unloadsVictim, let victim = first.victim {
                return "held until \(first.candidate.name) has unloaded \(victim): " + parts
            }
            return "held for a free slot: " + parts
        }
    }
}
