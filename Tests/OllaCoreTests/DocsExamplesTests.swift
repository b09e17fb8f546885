import Testing
@testable import OllaCore

/// The docs' configuration examples checked against the loader, so docs and binary cannot
/// drift: every JSON configuration block loads, and every error example (a configuration
/// file marked `<!-- docs-example: config-errors -->` followed by the ```text block of what
/// Olla reports) is exactly what `olla --validate-config` prints for that file.
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
}
