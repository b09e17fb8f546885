import Synchronization

/// What the fleet has been doing lately: the last requests and a timeline of the last
/// minutes, recorded from any thread and read by `GET /internal/status/activity`.
///
/// Only API requests (under the proxy prefix) are recorded, never Olla's own routes, so
/// the page that polls this does not show up in it. Memory is fixed: `recentCapacity`
/// records and `ActivityTimeline`'s ring.
public final class FleetActivity: Sendable {
    /// A recorded request with its place in the list.
    public struct Entry: Sendable, Equatable {
        /// 1 for the first request recorded, then counting up: a page can tell new entries.
        public var sequence: Int
        /// When the request ended.
        public var finishedAt: ContinuousClock.Instant {
            get { finished.instant }
            set { finished = StoredInstant(newValue) }
        }
        /// What the list shows about it.
        public var request: RecentRequest
        /// `finishedAt`, stored with a fixed layout (`StoredInstant`): an entry holding a
        /// `ContinuousClock.Instant` was made, swapped into the ring and destroyed through
        /// run-time value witnesses, for every request.
        var finished: StoredInstant

        /// Every field replaced in place (`model` already bounded).
        mutating func overwrite(
            sequence: Int, requestID: String?, method: String, route: String, model: String?, endpoint: String?,
            status: Int, timeToFirstByte: Duration?, duration: Duration, usage: TokenUsage?, decision: String?,
            reason: String?, finished: StoredInstant
        ) {
            self.sequence = sequence
            self.finished = finished
            request.requestID = requestID
            request.method = method
            request.route = route
            request.model = model
            request.endpoint = endpoint
            request.status = status
            request.timeToFirstByte = timeToFirstByte
            request.duration = duration
            request.usage = usage
            request.decision = decision
            request.reason = reason
        }
    }

    /// A consistent copy, for rendering.
    public struct Snapshot: Sendable {
        /// Newest first.
        public var recent: [Entry]
        /// Totals per bucket over the last minutes.
        public var timeline: ActivityTimeline
    }

    private struct State: Sendable {
        var recent: [Entry] = []
        var nextSlot = 0
        var sequence = 0
        var timeline: ActivityTimeline
    }

    /// How many requests the list keeps.
    public let recentCapacity: Int
    private let state: Mutex<State>

    /// Creates an empty record whose timeline starts at `origin`.
    public init(origin: ContinuousClock.Instant = .now, recentCapacity: Int = 100,
                bucketWidth: Duration = .seconds(2), bucketCount: Int = 300) {
        self.recentCapacity = max(1, recentCapacity)
        var state = State(timeline: ActivityTimeline(origin: origin, bucketWidth: bucketWidth, bucketCount: bucketCount))
        // The list is full after the first `recentCapacity` requests and stays so: room for
        // all of them at once, instead of copying the entries each time the array grows.
        state.recent.reserveCapacity(self.recentCapacity)
        self.state = Mutex(state)
    }

    /// Records `request`, which ended at `now`.
    public func record(_ request: consuming RecentRequest, now: ContinuousClock.Instant = .now) {
        let capacity = recentCapacity
        // The entry is made before the lock and swapped into its slot: no copy of its strings
        // (a retain and a release each), and the entry it replaces is freed after the lock.
        var entry = Entry(sequence: 0, request: request, finished: StoredInstant(now))
        state.withLock { state in
            state.sequence += 1
            entry.sequence = state.sequence
            state.timeline.record(entry.request, at: now)
            if state.recent.count < capacity {
                state.recent.append(entry)
            } else {
                swap(&state.recent[state.nextSlot], &entry)
            }
            state.nextSlot = (state.nextSlot + 1) % capacity
        }
    }

    /// Records a request, which ended at `now`, from its fields: what
    /// `record(RecentRequest(...), now:)` records, without the record. Once the list is full,
    /// the oldest entry's fields are overwritten where it lies: building the record, copying it
    /// into an entry, swapping that into the ring and destroying the old one went through the
    /// whole ~300-byte value three times (~0.8 K instructions per request).
    public func record(
        requestID: String?, method: String, route: String, model: String?, endpoint: String?, status: Int,
        timeToFirstByte: Duration?, duration: Duration, usage: TokenUsage?, decision: String?, reason: String?,
        now: ContinuousClock.Instant = .now
    ) {
        let capacity = recentCapacity
        let finished = StoredInstant(now)
        let model = if let model, model.utf8.count > RecentRequest.maxModelBytes { RecentRequest.bounded(model) } else { model }
        state.withLock { state in
            state.sequence += 1
            state.timeline.record(status: status, timeToFirstByte: timeToFirstByte, usage: usage, at: now)
            if state.recent.count < capacity {
                state.recent.append(Entry(
                    sequence: state.sequence,
                    request: RecentRequest(requestID: requestID, method: method, route: route, model: model,
                                           endpoint: endpoint, status: status, timeToFirstByte: timeToFirstByte,
                                           duration: duration, usage: usage, decision: decision, reason: reason),
                    finished: finished))
            } else {
                state.recent[state.nextSlot].overwrite(
                    sequence: state.sequence, requestID: requestID, method: method, route: route, model: model,
                    endpoint: endpoint, status: status, timeToFirstByte: timeToFirstByte, duration: duration,
                    usage: usage, decision: decision, reason: reason, finished: finished)
            }
            state.nextSlot = (state.nextSlot + 1) % capacity
        }
    }

    /// The last requests, newest first, and the timeline.
    public func snapshot() -> Snapshot {
        state.withLock { state in
            Snapshot(recent: state.recent.sorted { $0.sequence > $1.sequence }, timeline: state.timeline)
        }
    }
}
