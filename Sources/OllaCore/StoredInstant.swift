/// A `ContinuousClock.Instant` kept with a fixed memory layout: its distance from one
/// reference instant of the process.
///
/// `ContinuousClock.Instant` is a resilient type of the concurrency library: its layout is
/// known only at run time, so a struct, enum, tuple or optional that stores one is copied,
/// moved, destroyed and even tested for `nil` through run-time value-witness calls and
/// metadata lookups. Records read and changed for every request (the scheduler's resident
/// models and running requests, an endpoint's circuit breaker) store this instead and keep
/// their `ContinuousClock.Instant` properties as computed ones. `Duration` has a fixed layout,
/// and the conversion is exact both ways (both count attoseconds), so equality and order are
/// the instants'.
public struct StoredInstant: Sendable, Hashable, Comparable {
    /// The distance from `reference`.
    private var sinceReference: Duration

    /// `instant`, stored.
    public init(_ instant: ContinuousClock.Instant) {
        sinceReference = Self.reference.duration(to: instant)
    }

    /// The instant stored.
    public var instant: ContinuousClock.Instant { Self.reference.advanced(by: sinceReference) }

    /// The time from `earlier` to this instant (negative when `earlier` is later), exactly
    /// `instant - earlier.instant`, without the resilient instant's arithmetic.
    public func since(_ earlier: StoredInstant) -> Duration { sinceReference - earlier.sinceReference }

    /// Earlier first, as the instants.
    public static func < (a: StoredInstant, b: StoredInstant) -> Bool { a.sinceReference < b.sinceReference }

    /// Any fixed instant will do: the first one asked for.
    private static let reference = ContinuousClock.now
}
