import Synchronization

/// Names of endpoints with a piece of monitoring work in flight: one claim per name, so that
/// work of one kind never runs twice at once for an endpoint (and a hung instance cannot
/// collect a pile of waiting requests).
final class ClaimSet: Sendable {
    private let names = Mutex<Set<String>>([])

    /// Takes the claim on `name`; false when it is already taken.
    func claim(_ name: String) -> Bool {
        names.withLock { $0.insert(name).inserted }
    }

    /// Gives the claim on `name` back.
    func release(_ name: String) {
        _ = names.withLock { $0.remove(name) }
    }

    /// Whether `name` is claimed now.
    func contains(_ name: String) -> Bool {
        names.withLock { $0.contains(name) }
    }
}
