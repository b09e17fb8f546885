/// nginx's smooth weighted round robin, made a pure function of a turn number.
///
/// nginx keeps a running score per endpoint: each turn every score grows by its weight,
/// the highest score (first on ties) is chosen and loses the total weight. Over
/// `sum(weights)` turns each endpoint is chosen exactly `weight` times, and the choices
/// are interleaved (weights 5,1,1 give a a b a c a a) rather than bunched.
///
/// After exactly `sum(weights)` turns every score is back to zero, so the sequence is
/// periodic and turn `t` can be replayed from zero state as turn `t % sum`. Weights are
/// first divided by their greatest common divisor: scaling all weights scales all scores
/// and changes no choice, so the sequence is the same with a shorter period. The cost is
/// O(period × count) per call; with weights up to 1000 that is at most a few hundred
/// thousand additions for a large tier, and a handful for typical weights.
enum SmoothWeightedRotation {
    /// The position in `weights` chosen on `turn`. `weights` must be non-empty and
    /// positive.
    static func chosen(weights: [Int], turn: UInt64) -> Int {
        precondition(!weights.isEmpty, "nothing to rotate")
        let divisor = weights.reduce(0, greatestCommonDivisor)
        let reduced = weights.map { $0 / divisor }
        let period = reduced.reduce(0, +)
        let steps = Int(turn % UInt64(period)) + 1
        var scores = [Int](repeating: 0, count: reduced.count)
        var choice = 0
        for _ in 0..<steps {
            choice = 0
            for position in reduced.indices {
                scores[position] += reduced[position]
                if scores[position] > scores[choice] { choice = position }
            }
            scores[choice] -= period
        }
        return choice
    }

    static func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
