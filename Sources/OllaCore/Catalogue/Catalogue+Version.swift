extension Catalogue {
    /// The lowest version among `inventories` that reported a parseable one (see
    /// `BackendVersion` for the order), as reported; nil when none did.
    ///
    /// The lowest, because a client that checks `/api/version` before using a feature
    /// may be routed to any endpoint: only what the oldest one supports is safe to
    /// promise. Unparseable versions are ignored rather than treated as lowest, so one
    /// odd build string cannot hide every other endpoint's version. On ties (`0.5` and
    /// `0.5.0`) the first in input order wins.
    public static func lowestVersion(of inventories: [EndpointInventory]) -> String? {
        var lowest: BackendVersion?
        for inventory in inventories {
            guard let text = inventory.version, let version = BackendVersion(text) else { continue }
            if lowest.map({ version < $0 }) ?? true {
                lowest = version
            }
        }
        return lowest?.text
    }
}
