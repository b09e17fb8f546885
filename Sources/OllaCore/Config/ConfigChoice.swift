/// A configuration value that is one of a fixed set of strings, such as a load
/// balancer kind or a log level.
///
/// The raw values are the canonical spellings written in the file. `aliases` lists
/// extra spellings that are accepted and normalised to a canonical case, e.g. Go
/// Olla's `round_robin` for `round-robin`.
public protocol ConfigChoice: RawRepresentable<String>, CaseIterable, Sendable, Equatable {
    /// Accepted alternative spellings and the case each one means.
    static var aliases: [String: Self] { get }
}

extension ConfigChoice {
    /// No aliases unless a type lists some.
    public static var aliases: [String: Self] { [:] }

    /// Reads a canonical spelling or an alias.
    public init?(configValue text: String) {
        guard let value = Self(rawValue: text) ?? Self.aliases[text] else { return nil }
        self = value
    }

    /// The canonical spellings, in declaration order.
    public static var canonicalValues: [String] { allCases.map(\.rawValue) }
}
