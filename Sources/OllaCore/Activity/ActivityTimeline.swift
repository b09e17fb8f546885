/// Per-interval totals of the last few minutes of API requests, for the fleet page's charts.
///
/// Time is cut into fixed buckets (`bucketWidth`, counted from `origin`); the timeline keeps
/// the last `bucketCount` of them in a ring, so memory is fixed whatever the traffic. A
/// request is counted in the bucket where it ended, except its generated tokens, which are
/// spread over the backend's generation time (`eval_duration`) ending there: a 30-second
/// generation shows as 30 seconds of tokens per second, not as one spike.
public struct ActivityTimeline: Sendable {
    /// Time to first byte samples kept per bucket; beyond it the latest replace the oldest.
    public static let samplesPerBucket = 64

    /// Totals of one bucket.
    public struct Bucket: Sendable, Equatable {
        /// The bucket's number since `origin` (its start is `origin + number * bucketWidth`).
        public internal(set) var number: Int
        /// Requests that ended in the bucket.
        public internal(set) var requests = 0
        /// Requests with a 5xx status or none (as `success_rate` counts them).
        public internal(set) var errors = 0
        /// Requests the backend had to load the model for (`RecentRequest.coldLoad`).
        public internal(set) var coldLoads = 0
        /// Completion tokens generated during the bucket (fractional: spread over time).
        public internal(set) var completionTokens: Double = 0
        /// Times to first byte of requests ending in the bucket, at most `samplesPerBucket`.
        public internal(set) var timeToFirstByte: [Duration] = []
        var samplesSeen = 0

        init(number: Int) { self.number = number }

        mutating func sample(_ value: Duration) {
            if timeToFirstByte.count < ActivityTimeline.samplesPerBucket {
                timeToFirstByte.append(value)
            } else {
                timeToFirstByte[samplesSeen % ActivityTimeline.samplesPerBucket] = value
            }
            samplesSeen += 1
        }
    }

    /// The instant bucket 0 starts at.
    public var origin: ContinuousClock.Instant { originStored.instant }
    /// `origin` with a fixed layout (`StoredInstant`), so the timeline (and the activity
    /// record's state that holds it) is copied and changed without run-time value witnesses.
    private let originStored: StoredInstant
    /// The time one bucket covers.
    public let bucketWidth: Duration
    /// How many buckets the ring keeps; older ones are dropped.
    public let bucketCount: Int
    private var ring: [Bucket]
    /// `bucketWidth` in nanoseconds.
    private let widthNanoseconds: Int64

    /// An empty timeline of `bucketCount` buckets of `bucketWidth` (both at least 1 unit).
    public init(origin: ContinuousClock.Instant, bucketWidth: Duration = .seconds(2), bucketCount: Int = 300) {
        originStored = StoredInstant(origin)
        self.bucketWidth = max(bucketWidth, .milliseconds(1))
        self.bucketCount = max(1, bucketCount)
        widthNanoseconds = self.bucketWidth.saturatedNanoseconds
        ring = (0..<self.bucketCount).map { _ in Bucket(number: -1) }
    }

    /// The number of the bucket `instant` falls in (instants before `origin` fall in 0).
    public func bucketNumber(at instant: ContinuousClock.Instant) -> Int {
        bucketNumber(atOffset: offset(of: instant))
    }

    /// Nanoseconds from `origin` to `instant`.
    private func offset(of instant: ContinuousClock.Instant) -> Int64 {
        StoredInstant(instant).since(originStored).saturatedNanoseconds
    }

    /// The bucket `offset` nanoseconds after `origin` falls in (0 for offsets before it).
    private func bucketNumber(atOffset offset: Int64) -> Int {
        offset > 0 ? Int(offset / widthNanoseconds) : 0
    }

    /// Counts `request`, which ended at `instant`.
    public mutating func record(_ request: RecentRequest, at instant: ContinuousClock.Instant) {
        record(status: request.status, timeToFirstByte: request.timeToFirstByte, usage: request.usage, at: instant)
    }

    /// Counts a request with `status`, `timeToFirstByte` and `usage` (as a `RecentRequest`
    /// holds them), which ended at `instant`.
    mutating func record(status: Int, timeToFirstByte: Duration?, usage: TokenUsage?, at instant: ContinuousClock.Instant) {
        let offset = offset(of: instant)
        let number = bucketNumber(atOffset: offset)
        // As `RecentRequest.failed` and `.coldLoad` count them.
        let failed = status < 100 || status >= 500
        let coldLoad = usage?.wasColdLoad ?? false
        update(number) { bucket in
            bucket.requests += 1
            if failed { bucket.errors += 1 }
            if coldLoad { bucket.coldLoads += 1 }
            if let timeToFirstByte { bucket.sample(timeToFirstByte) }
        }
        guard let usage, usage.completionTokens > 0 else { return }
        spread(Double(usage.completionTokens), over: usage.evalNanosecondsOrZero, endingAt: offset,
               inBucket: number)
    }

    /// The buckets from `number - count + 1` through `number`, oldest first; buckets
    /// nothing was recorded in (or that fell out of the ring) are empty.
    public func buckets(endingWith number: Int, count: Int) -> [Bucket] {
        let count = min(max(0, count), bucketCount)
        return (0..<count).map { offset in
            let wanted = number - count + 1 + offset
            guard wanted >= 0 else { return Bucket(number: wanted) }
            let bucket = ring[wanted % bucketCount]
            return bucket.number == wanted ? bucket : Bucket(number: wanted)
        }
    }

    /// Adds `tokens` to the buckets covering `[end - duration, end]`, in proportion to
    /// the overlap; all of them to the last bucket when the duration is zero. Only the
    /// part inside the ring is kept. Times are nanoseconds: `end` after `origin`, `last`
    /// the number of the bucket it falls in.
    private mutating func spread(_ tokens: Double, over duration: Int64, endingAt end: Int64, inBucket last: Int) {
        let width = widthNanoseconds
        let (difference, overflow) = end.subtractingReportingOverflow(duration)
        let start = overflow ? .min : difference
        let lastStart = width * Int64(last)
        // No time, or all of it inside the last bucket (a short generation): every token
        // goes there, as the overlap loop below would put them (overlap / duration is 1).
        guard duration > 0, start <= lastStart || end > lastStart + width else {
            update(last) { $0.completionTokens += tokens }
            return
        }
        let first = max(bucketNumber(atOffset: start), last - bucketCount + 1)
        for number in first...last {
            let bucketStart = width * Int64(number)
            let overlap = min(end, bucketStart + width) - max(start, bucketStart)
            guard overlap > 0 else { continue }
            update(number) { $0.completionTokens += tokens * (Double(overlap) / Double(duration)) }
        }
    }

    private mutating func update(_ number: Int, _ body: (inout Bucket) -> Void) {
        let slot = number % bucketCount
        if ring[slot].number != number {
            guard ring[slot].number < number else { return }  // older than the ring holds
            ring[slot] = Bucket(number: number)
        }
        body(&ring[slot])
    }
}
