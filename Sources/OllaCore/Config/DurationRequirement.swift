/// The range a duration setting must fall in, beyond being a valid non-negative duration.
enum DurationRequirement {
    /// Any duration, including 0 (which settings document as "no limit").
    case any
    /// Strictly greater than zero, for intervals and timeouts where 0 makes no sense.
    case positive
    /// Either 0 ("no limit") or at least the given duration, so an accidental `"5ms"`
    /// for a `"5m"` is caught instead of failing every request.
    case zeroOrAtLeast(Duration)

    /// Why `duration` violates the requirement, or nil if it is fine.
    func violation(by duration: Duration) -> String? {
        let found = DurationFormatter.format(duration)
        switch self {
        case .any:
            return nil
        case .positive:
            return duration > .zero ? nil : "must be greater than 0, found \(found)"
        case .zeroOrAtLeast(let minimum):
            guard duration != .zero, duration < minimum else { return nil }
            return "must be 0 (no limit) or at least \(DurationFormatter.format(minimum)), found \(found)"
        }
    }
}
