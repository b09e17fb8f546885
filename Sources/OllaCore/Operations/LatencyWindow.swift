/// The most recent request latencies of one endpoint in a fixed-size ring, for the
/// percentiles on the status page. Old samples fall out, so the numbers follow the
/// endpoint's current behaviour rather than its lifetime average.
public struct LatencyWindow: Sendable, Equatable {
    /// How many samples are kept.
    public let capacity: Int
    private var samples: [Duration] = []
    private var next = 0

    /// An empty window holding up to `capacity` samples (at least 1).
    public init(capacity: Int = 512) {
        self.capacity = max(1, capacity)
        samples.reserveCapacity(self.capacity)
    }

    /// Adds a sample, replacing the oldest once full.
    public mutating func record(_ latency: Duration) {
        if samples.count < capacity {
            samples.append(latency)
        } else {
            samples[next] = latency
        }
        next = (next + 1) % capacity
    }

    /// The number of samples held.
    public var count: Int { samples.count }

    /// The nearest-rank percentile (`fraction` in 0...1, e.g. 0.95); nil when empty.
    public func percentile(_ fraction: Double) -> Duration? {
        percentiles([fraction])[0]
    }

    /// Several percentiles from one sort.
    public func percentiles(_ fractions: [Double]) -> [Duration?] {
        guard !samples.isEmpty else { return fractions.map { _ in nil } }
        let sorted = samples.sorted()
        return fractions.map { fraction in
            let clamped = min(max(fraction, 0), 1)
            let rank = Int((clamped * Double(sorted.count)).rounded(.up))
            return sorted[min(max(rank, 1), sorted.count) - 1]
        }
    }
}
