extension Duration {
    /// `components` (whole seconds and the attoseconds left, both with the duration's
    /// sign), the same values for every duration, computed with one 64-bit division when the
    /// duration lies between zero and 18.4 s (its attoseconds fit one unsigned word) — the
    /// times of a request. `components` divides the 128-bit count through a runtime call
    /// (~190 instructions); a finished request converts eight to ten durations.
    var secondsAndAttoseconds: (seconds: Int64, attoseconds: Int64) {
        let total = attoseconds
        guard total >= 0, total <= Int128(UInt64.max) else { return components }
        let (seconds, rest) = UInt64(truncatingIfNeeded: total).quotientAndRemainder(dividingBy: 1_000_000_000_000_000_000)
        return (Int64(seconds), Int64(rest))
    }

    /// The duration in (fractional) seconds.
    var seconds: Double {
        let (whole, attoseconds) = secondsAndAttoseconds
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
