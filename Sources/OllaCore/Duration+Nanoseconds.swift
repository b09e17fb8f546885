extension Duration {
    /// This duration in whole nanoseconds (toward zero), saturated to `Int64`'s range:
    /// ContinuousClock's resolution and Ollama's timing fields' unit.
    ///
    /// `Duration`'s own `/` and `*` go through generic 128-bit arithmetic (a run-time call for
    /// `Int128`'s `/`, ~2 K instructions for a few conversions), and the records that keep
    /// nanoseconds convert on every finished request. From zero to ~584 years (every timing a
    /// backend reports, every offset a timeline keeps) the attosecond count's high word is
    /// below the divisor, so one 128-by-64-bit division gives the quotient.
    var saturatedNanoseconds: Int64 {
        let attoseconds = self.attoseconds
        let high = UInt64(truncatingIfNeeded: attoseconds >> 64)
        if attoseconds >= 0, high < 1_000_000_000 {
            let quotient = UInt64(1_000_000_000).dividingFullWidth((high: high, low: UInt64(truncatingIfNeeded: attoseconds))).quotient
            return quotient > UInt64(Int64.max) ? .max : Int64(quotient)
        }
        let value = attoseconds / 1_000_000_000
        return value > Int128(Int64.max) ? .max : value < Int128(Int64.min) ? .min : Int64(value)
    }
}
