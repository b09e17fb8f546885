import OllaCore

extension EndpointRegistry {
    /// Why each of the endpoints `names` cannot take requests now and the seconds until
    /// the soonest of their next probes (see `Unavailability`), for a `503` answered
    /// without trying them. Unknown names are left out.
    public func unavailability(of names: [String], now: ContinuousClock.Instant = .now) -> Unavailability {
        Unavailability(names.compactMap { name in healthSnapshot(name, now: now).map { (name, $0) } })
    }
}
