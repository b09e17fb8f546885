/// `inFlight / weight`, compared exactly by cross-multiplication
/// (`a.inFlight * b.weight` vs `b.inFlight * a.weight`) instead of as floating point,
/// so equal loads tie exactly and ties fall through to the next sort key.
struct LoadRatio: Comparable {
    var inFlight: Int
    var weight: Int

    static func < (a: LoadRatio, b: LoadRatio) -> Bool {
        // Full-width products: cannot overflow whatever the counters hold.
        let left = a.inFlight.multipliedFullWidth(by: b.weight)
        let right = b.inFlight.multipliedFullWidth(by: a.weight)
        return (left.high, left.low) < (right.high, right.low)
    }

    static func == (a: LoadRatio, b: LoadRatio) -> Bool {
        !(a < b) && !(b < a)
    }
}
