import Testing
@testable import OllaCore

/// Configuration examples in the docs other than configuration.md must load too.
@Suite struct DocsExamplesTests {
    private static let packageRoot: String = {
        var components = #filePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        components.removeLast(3)
        return components.joined(separator: "/")
    }()

    private static func jsonBlocks(_ markdown: String) -> [String] {
        var blocks: [String] = []
        var current: String?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```json" { current = "" }
            else if let block = current, line == "```" { blocks.append(block); current = nil }
            else if current != nil { current! += line + "\n" }
        }
        return blocks
    }

    @Test(arguments: ["docs/routing.md"])
    func everyJSONBlockLoads(document: String) throws {
        let markdown = String(decoding: try ConfigFileReader.readAll(path: Self.packageRoot + "/" + document), as: UTF8.self)
        let blocks = Self.jsonBlocks(markdown)
        #expect(!blocks.isEmpty)
        for block in blocks {
            #expect(throws: Never.self) { try OllaConfig.parse(Array(block.utf8), source: document) }
        }
    }
}
