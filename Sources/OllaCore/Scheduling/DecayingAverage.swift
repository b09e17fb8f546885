/// An exponentially weighted moving average: each observation moves the estimate by
/// `weight` of the way towards it, so old observations fade and a changed backend
/// (a model upgraded, a GPU swapped) is learned within a few requests.
public struct DecayingAverage: Sendable, Equatable {
    /// The current estimate; nil before the first observation.
    public private(set) var value: Double?
    /// Observations so far (saturating).
    public private(set) var count = 0
    /// How far one observation moves the estimate, 0...1.
    public let weight: Double

    /// An empty average. 0.3 forgets an old value to a tenth in about six observations.
    public init(weight: Double = 0.3) {
        self.weight = weight
    }

    /// Folds in one observation; non-finite or negative values are ignored.
    public mutating func observe(_ sample: Double) {
        guard sample.isFinite, sample >= 0 else { return }
        value = value.map { $0 + weight * (sample - $0) } ?? sample
        count = count == Int.max ? count : count + 1
    }
}
