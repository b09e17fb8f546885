/// Builds exposition-format text: family headers, samples with escaped labels, and
/// histograms with cumulative buckets.
struct PrometheusText {
    enum Kind: String {
        case counter, gauge, histogram
    }

    private(set) var text = ""

    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: some BinaryInteger) {
        line(name, labels, String(value))
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        line(name, labels, Self.format(value))
    }

    /// `_bucket` lines with cumulative counts up to `+Inf`, then `_sum` and `_count`.
    mutating func histogram(_ name: String, _ labels: [(String, String)], _ histogram: Histogram) {
        let cumulative = histogram.cumulativeCounts
        for (index, count) in cumulative.enumerated() {
            let bound = index < histogram.upperBounds.count ? Self.format(histogram.upperBounds[index]) : "+Inf"
            line(name + "_bucket", labels + [("le", bound)], String(count))
        }
        line(name + "_sum", labels, Self.format(histogram.sum))
        line(name + "_count", labels, String(histogram.count))
    }

    private mutating func line(_ name: String, _ labels: [(String, String)], _ value: String) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " " + value + "\n"
    }

    /// Label values escape `\`, `"` and newline.
    static func escapeLabelValue(_ value: String) -> String {
        var escaped = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// HELP text escapes `\` and newline only.
    static func escapeHelp(_ help: String) -> String {
        help.replacing("\\", with: "\\\\").replacing("\n", with: "\\n")
    }

    /// Whole numbers without a fraction (`le="1"`, as the Go client writes them, so
    /// buckets line up across exporters); others in Swift's shortest round-trip form.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 {
            return String(Int64(value))
        }
        return String(value)
    }
}
