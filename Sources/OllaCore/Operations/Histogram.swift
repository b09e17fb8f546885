/// A Prometheus-style histogram with fixed upper bounds, in seconds.
public struct Histogram: Sendable, Equatable {
    /// The finite upper bounds, ascending; an implicit `+Inf` bucket follows.
    public let upperBounds: [Double]
    /// Observations per bucket, *not* cumulative; one more than `upperBounds` (the last
    /// is the `+Inf` overflow).
    public private(set) var bucketCounts: [Int]
    /// The sum of all observations, in seconds.
    public private(set) var sum: Double = 0
    /// The number of observations.
    public private(set) var count: Int = 0

    /// Time to first byte: 5ms (a cached answer) to 5 minutes (a cold model load).
    public static let ttfbBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
    /// Error of the scheduler's wait estimates: 50 ms to 2 minutes.
    public static let waitErrorBounds: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 120]
    /// Whole request: 10ms to 30 minutes (long generations).
    public static let durationBounds: [Double] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800]

    /// An empty histogram with `upperBounds`.
    public init(upperBounds: [Double]) {
        self.upperBounds = upperBounds
        self.bucketCounts = Array(repeating: 0, count: upperBounds.count + 1)
    }

    /// Records one observation of `seconds` (values are `le`-inclusive, as in Prometheus).
    public mutating func observe(_ seconds: Double) {
        let index = upperBounds.firstIndex { seconds <= $0 } ?? upperBounds.count
        bucketCounts[index] += 1
        sum += seconds
        count += 1
    }

    /// The cumulative counts Prometheus exposes: observations ≤ each bound, then the total.
    public var cumulativeCounts: [Int] {
        var running = 0
        return bucketCounts.map { running += $0; return running }
    }
}
