/// Olla's own per-model queue for requests no instance can start yet (late binding):
/// first come, first served, bounded in length (`queue_length`) and in wait
/// (`queue_timeout`). Pure: the owner supplies `now` and acts on what it returns.
public struct HoldQueue<ID: Hashable & Sendable>: Sendable {
    /// One held request.
    public struct Entry: Sendable {
        /// The owner's id for it.
        public var id: ID
        /// When it was held.
        public var heldAt: ContinuousClock.Instant
    }

    /// Most requests held per model.
    public let maxLength: Int
    /// Longest wait.
    public let maxWait: Duration
    private var queues: [String: [Entry]] = [:]

    /// An empty queue.
    public init(maxLength: Int, maxWait: Duration) {
        self.maxLength = max(1, maxLength)
        self.maxWait = maxWait
    }

    /// Why a request could not be held.
    public enum Refusal: Error, Equatable {
        /// `maxLength` requests for the model are held already.
        case full
    }

    /// Holds `id` for `model` at the back of its queue.
    /// - Throws: `Refusal.full` when the model's queue is at `maxLength`.
    public mutating func hold(_ id: ID, model: String, now: ContinuousClock.Instant) throws(Refusal) {
        var queue = queues[model] ?? []
        guard queue.count < maxLength else { throw .full }
        queue.append(Entry(id: id, heldAt: now))
        queues[model] = queue
    }

    /// The request first in line for `model`.
    public func first(_ model: String) -> Entry? { queues[model]?.first }

    /// Removes the first request of `model` (it is being dispatched).
    @discardableResult
    public mutating func removeFirst(_ model: String) -> Entry? {
        guard var queue = queues[model], !queue.isEmpty else { return nil }
        let entry = queue.removeFirst()
        queues[model] = queue.isEmpty ? nil : queue
        return entry
    }

    /// The requests held for `model`, first in line first.
    public func entries(_ model: String) -> [Entry] { queues[model] ?? [] }

    /// Removes `id` from `model`'s queue (it is being dispatched out of turn).
    public mutating func remove(_ id: ID, model: String) {
        guard var queue = queues[model], let index = queue.firstIndex(where: { $0.id == id }) else { return }
        queue.remove(at: index)
        queues[model] = queue.isEmpty ? nil : queue
    }

    /// Removes `id` wherever it is (its client left). Returns whether it was held.
    @discardableResult
    public mutating func remove(_ id: ID) -> Bool {
        for (model, queue) in queues {
            guard let index = queue.firstIndex(where: { $0.id == id }) else { continue }
            var queue = queue
            queue.remove(at: index)
            queues[model] = queue.isEmpty ? nil : queue
            return true
        }
        return false
    }

    /// Removes and returns every request held longer than `maxWait` at `now`.
    public mutating func expire(now: ContinuousClock.Instant) -> [ID] {
        var expired: [ID] = []
        for (model, queue) in queues {
            let kept = queue.filter { now - $0.heldAt < maxWait }
            guard kept.count != queue.count else { continue }
            expired += queue.filter { now - $0.heldAt >= maxWait }.map(\.id)
            queues[model] = kept.isEmpty ? nil : kept
        }
        return expired
    }

    /// Models with requests held, and how many each. A closure, not the key path `\.count`:
    /// the scheduler asks on every admission, and a key path is instantiated at run time on
    /// each call (`swift_getKeyPath`, ~17 K instructions per request in bench-instructions).
    public var lengths: [String: Int] { queues.mapValues { $0.count } }

    /// Whether `id` is held.
    public func contains(_ id: ID) -> Bool {
        queues.values.contains { $0.contains { $0.id == id } }
    }

    /// Requests held for `model`.
    public func count(_ model: String) -> Int { queues[model]?.count ?? 0 }

    /// Seconds the requests held for `model` have waited at `now`, in all.
    public func totalWait(_ model: String, now: ContinuousClock.Instant) -> Double {
        (queues[model] ?? []).reduce(0) { $0 + max(0, (now - $1.heldAt).schedulingSeconds) }
    }

    /// Whether nothing is held.
    public var isEmpty: Bool { queues.isEmpty }
}
