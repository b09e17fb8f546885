/// Recognises a YAML configuration (Go Olla's `config.yaml` format) handed to Olla, which
/// reads JSON, and says how its first key maps.
enum YAMLHint {
    /// Olla's top-level sections, the keys a Go Olla file's first key could map to.
    static let sections = ["server", "proxy", "discovery", "model_registry", "logging"]

    /// A hint for a file that failed to parse as JSON, or nil when it does not look like YAML.
    static func hint(for bytes: [UInt8]) -> String? {
        guard let key = firstKey(bytes) else { return nil }
        var hint = "this looks like YAML (Go Olla's config.yaml); Olla reads JSON: its first key '\(key):' would be written {\"\(key)\": {...}}"
        if !sections.contains(key) {
            hint += " (Olla has no '\(key)' section; sections: \(sections.joined(separator: ", ")))"
        }
        return hint
    }

    /// The first `key:` of a YAML mapping: the first line that is not blank, a comment or a
    /// document marker, when it has that shape; nil otherwise (JSON starts with `{`).
    static func firstKey(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = rawLine.drop { $0 == " " || $0 == "\t" || $0 == "\u{FEFF}" }
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("---") || line.hasPrefix("%") { continue }
            let key = line.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
            guard let first = key.first, first.isLetter || first == "_" else { return nil }
            let rest = line.dropFirst(key.count).drop { $0 == " " }
            guard rest.first == ":" else { return nil }
            let afterColon = rest.dropFirst()
            guard afterColon.isEmpty || afterColon.first == " " || afterColon.first == "\t" else { return nil }
            return String(key)
        }
        return nil
    }
}
