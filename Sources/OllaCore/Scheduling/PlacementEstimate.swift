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

    /// Creates a candidate.
    public init(name: String, priority: Int = 100, weight: Int = 1, state: EndpointState = .healthy, inFlight: Int = 0) {
        self.name = name
        self.priority = priority
        self.weight = weight
        self.state = state
        self.inFlight = inFlight
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
    /// Seconds charged for evicting `victim`: what its next user is expected to pay.
    public var evictionPenalty: Double
    /// The model this placement is predicted to evict.
    public var victim: String?
    /// Whether the request would start at once (a free slot, or a load that can begin now).
    public var canStartNow: Bool
    /// How many requests share the load and eviction (an extra copy of a model in demand
    /// serves the requests arriving while it loads too); 1 otherwise.
    public var sharedBy: Double = 1

    /// Creates an estimate.
    public init(candidate: SchedulingCandidate, residency: Residency, queueWait: Double, loadTime: Double,
                evictionPenalty: Double = 0, victim: String? = nil, canStartNow: Bool) {
        self.candidate = candidate
        self.residency = residency
        self.queueWait = queueWait
        self.loadTime = loadTime
        self.evictionPenalty = evictionPenalty
        self.victim = victim
        self.canStartNow = canStartNow
    }

    /// Seconds to the first token, plus the eviction penalty, the load and penalty shared
    /// by `sharedBy` requests: the quantity minimised.
    public var cost: Double { queueWait + (loadTime + evictionPenalty) / max(1, sharedBy) }

    /// Seconds to the first token, as the client will see it.
    public var expectedWait: Double { queueWait + loadTime }

    /// For `X-Olla-Routing-Reason`: "loaded on gpu-a, queue ~0.8 s", "cold on gpu-b ~1.6 s".
    public var summary: String {
        let name = candidate.name
        switch residency {
        case .loaded:
            return queueWait < 0.05 ? "loaded on \(name), free" : "loaded on \(name), queue ~\(Self.seconds(queueWait)) s"
        case .loading:
            return "loading on \(name) ~\(Self.seconds(queueWait)) s"
        case .cold:
            let evicts = victim.map { ", evicts \($0)" } ?? ""
            return "cold on \(name) ~\(Self.seconds(expectedWait)) s\(evicts)"
        }
    }

    /// `value` seconds with one decimal (no Foundation), for reasons and logs.
    public static func seconds(_ value: Double) -> String {
        let tenths = Int((max(0, min(value, 1e6)) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
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
        let parts = estimates.prefix(2).map(\.summary).joined(separator: "; ")
        switch self {
        case .dispatch: return parts
        case .hold: return "held for a free slot: " + parts
        }
    }
}
