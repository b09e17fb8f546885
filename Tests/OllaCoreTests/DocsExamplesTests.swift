import Testing
@testable import OllaCore

/// The docs' configuration examples checked against the loader, so docs and binary cannot
/// drift: every JSON configuration block loads, and every error example (a configuration
/// file marked `<!-- docs-example: config-errors -->` followed by the ```text block of what
/// Olla reports) is exactly what `olla --validate-config` prints for that file, and every
/// default the key tables state is the binary's default.
/// (Examples of live answers are checked by `Tests/Integration/test_47_docs_examples.py`.)
@Suite struct DocsExamplesTests {
    private static let packageRoot: String = {
        var components = #filePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        components.removeLast(3)
        return components.joined(separator: "/")
    }()

    static let errorMarker = "<!-- docs-example: config-errors -->"

    /// One fenced block: its info string (`json`, `yaml`, `text`), its text, and whether the
    /// error-example marker came right before it.
    struct Block {
        var language: String
        var text: String
        var marked: Bool
    }

    static func blocks(_ markdown: String) -> [Block] {
        var blocks: [Block] = []
        var current: Block?
        var marked = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.hasPrefix("```") {
                current = Block(language: String(line.dropFirst(3)), text: "", marked: marked)
                marked = false
            } else if let block = current, line == "```" {
                blocks.append(block)
                current = nil
            } else if current != nil {
                current!.text += line + "\n"
            } else if line == errorMarker {
                marked = true
            }
        }
        return blocks
    }

    private static func read(_ document: String) throws -> String {
        String(decoding: try ConfigFileReader.readAll(path: packageRoot + "/" + document), as: UTF8.self)
    }

    /// configuration.md's own blocks are checked by `ConfigFilesTests`.
    @Test(arguments: ["docs/routing.md"])
    func everyJSONBlockLoads(document: String) throws {
        let configurations = Self.blocks(try Self.read(document)).filter { $0.language == "json" && !$0.marked }
        #expect(!configurations.isEmpty)
        for block in configurations {
            #expect(throws: Never.self, "\(document): \(block.text)") {
                try OllaConfig.parse(Array(block.text.utf8), source: document)
            }
        }
    }

    @Test func everyConfigurationErrorExampleIsWhatTheLoaderReports() throws {
        let blocks = Self.blocks(try Self.read("docs/configuration.md"))
        var checked = 0
        for (index, input) in blocks.enumerated() where input.marked {
            guard index + 1 < blocks.count, blocks[index + 1].language == "text" else {
                Issue.record("an error example's file must be followed by a ```text block: \(input.text)")
                continue
            }
            let source = input.language == "yaml" ? "config.yaml" : "config.json"
            let reported = OllaConfig.check(Array(input.text.utf8), source: source).errors.map(\.description)
            let documented = blocks[index + 1].text.split(separator: "\n").map(String.init)
            #expect(reported == documented, "docs/configuration.md example:\n\(input.text)")
            checked += 1
        }
        #expect(checked >= 4)
    }

    // MARK: Documented defaults

    /// One documented default: the key's path in the file, and the value as JSON text.
    struct DocumentedDefault: CustomStringConvertible {
        var section: [String]
        var key: [String]
        var value: String
        var description: String { (section + key).joined(separator: ".") + " = " + value }
    }

    /// Every row of configuration.md's key tables whose default is one JSON value in
    /// backticks (optionally followed by a note in parentheses), under the `## `section``
    /// heading it belongs to. Rows with prose defaults ("see below", "learned") are skipped.
    static func documentedDefaults(_ markdown: String) -> [DocumentedDefault] {
        var section: [String]?
        var out: [DocumentedDefault] = []
        for line in markdown.split(separator: "\n") {
            if line.hasPrefix("#") {
                let title = line.drop { $0 == "#" || $0 == " " }
                section = title.hasPrefix("`") && title.hasSuffix("`")
                    ? title.dropFirst().dropLast().split(separator: ".").map { String($0.filter { $0 != "[" && $0 != "]" }) }
                    : nil
                continue
            }
            guard let section, line.hasPrefix("| `") else { continue }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map(Self.trimmed)
            guard cells.count > 4, let key = Self.backticked(cells[1]), !key.contains("`"),
                  let value = Self.backticked(cells[3].split(separator: " (").first.map(String.init) ?? "") else { continue }
            out.append(DocumentedDefault(section: section, key: key.split(separator: ".").map(String.init), value: value))
        }
        return out
    }

    static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }

    /// The text inside one pair of backticks that make up the whole cell.
    static func backticked(_ cell: String) -> String? {
        guard cell.count >= 2, cell.hasPrefix("`"), cell.hasSuffix("`") else { return nil }
        let inner = String(cell.dropFirst().dropLast())
        return inner.contains("`") ? nil : inner
    }

    private static let minimalEndpoint = #"{"name":"a","url":"http://a:11434","type":"ollama""#

    /// A configuration with one endpoint and `setting` (if any) at its place.
    static func configuration(with setting: DocumentedDefault?) -> String {
        let path = setting.map { $0.section + $0.key } ?? []
        let inEndpoint = path.starts(with: ["discovery", "static", "endpoints"])
        var endpoint = minimalEndpoint
        if let setting, inEndpoint {
            endpoint += "," + inner(nested(Array(path.dropFirst(3)), setting.value))
        }
        let discovery = #""static":{"endpoints":["# + endpoint + "}]}"
        guard let setting, !inEndpoint else { return #"{"discovery":{"# + discovery + "}}" }
        if path.first == "discovery" {
            return #"{"discovery":{"# + discovery + "," + inner(nested(Array(path.dropFirst()), setting.value)) + "}}"
        }
        return "{" + inner(nested(path, setting.value)) + #","discovery":{"# + discovery + "}}"
    }

    /// An object's members without its braces.
    static func inner(_ object: String) -> String { String(object.dropFirst().dropLast()) }

    /// `{"a":{"b":VALUE}}` for the path a.b.
    static func nested(_ path: [String], _ value: String) -> String {
        path.reversed().reduce(value) { inner, key in #"{""# + key + #"":"# + inner + "}" }
    }

    /// Setting a key to its documented default changes nothing: the documented default is
    /// the binary's.
    @Test func everyDocumentedDefaultIsTheDefault() throws {
        // Keys of an endpoint's `auth` need its `type`: their defaults are not checked here.
        let defaults = Self.documentedDefaults(try Self.read("docs/configuration.md"))
            .filter { $0.section != ["discovery", "static", "endpoints", "auth"] }
        #expect(defaults.count >= 40)
        let baseline = try OllaConfig.parse(Array(Self.configuration(with: nil).utf8), source: "baseline")
        for setting in defaults {
            let text = Self.configuration(with: setting)
            #expect(throws: Never.self, "\(setting): \(text)") {
                let configured = try OllaConfig.parse(Array(text.utf8), source: "configuration.md")
                #expect(configured == baseline, "documented default \(setting) is not the binary's")
            }
        }
    }
}
