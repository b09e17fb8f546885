#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import OllaCore

/// Loading from disk, the shipped example, and the examples in docs/configuration.md.
@Suite("Config files and documentation")
struct ConfigFilesTests {
    /// The package root, found from this file's location (Tests/OllaCoreTests/<file>).
    private static let packageRoot: String = {
        var components = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)
        return components.joined(separator: "/")
    }()

    private static let examplePath = packageRoot + "/config.example.json"
    private static let documentationPath = packageRoot + "/docs/configuration.md"

    /// The bodies of every ```json fenced block in a markdown file, with their start lines,
    /// except error examples (invalid on purpose; `DocsExamplesTests` checks those).
    private static func jsonBlocks(in markdown: String) -> [(line: Int, text: String)] {
        var blocks: [(line: Int, text: String)] = []
        var current: (line: Int, text: String)?
        var previous: Substring = ""
        for (index, line) in markdown.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            defer { previous = line }
            if current == nil, line == "```json", previous != DocsExamplesTests.errorMarker {
                current = (index + 2, "")
            } else if let block = current, line == "```" {
                blocks.append(block)
                current = nil
            } else if current != nil {
                current?.text += line + "\n"
            }
        }
        return blocks
    }

    @Test func loadsTheShippedExample() throws {
        let config = try OllaConfig.load(path: Self.examplePath)
        let endpoints = config.discovery.staticEndpoints.endpoints
        #expect(endpoints.map(\.name) == ["gpu-box", "workstation", "local"])
        #expect(endpoints.map(\.priority) == [100, 75, 10])
        #expect(endpoints.allSatisfy { $0.checkTimeout < $0.checkInterval })
        // A copied example must not open an unauthenticated proxy to the network.
        #expect(config.server.host == "127.0.0.1")
        #expect(config != .defaults)
    }

    @Test func everyJSONBlockInTheDocumentationIsAValidConfiguration() throws {
        let markdown = String(decoding: try ConfigFileReader.readAll(path: Self.documentationPath), as: UTF8.self)
        let blocks = Self.jsonBlocks(in: markdown)
        #expect(blocks.count >= 4)
        for block in blocks {
            #expect(throws: Never.self, "block starting at configuration.md:\(block.line)") {
                try OllaConfig.parse(Array(block.text.utf8), source: "configuration.md:\(block.line)")
            }
        }
    }

    /// Unknown-key errors list every key an object accepts; each must be documented.
    @Test(arguments: [
        #"{"zz": 1}"#,
        #"{"server": {"zz": 1}}"#,
        #"{"server": {"request_limits": {"zz": 1}}}"#,
        #"{"proxy": {"zz": 1}}"#,
        #"{"discovery": {"zz": 1}}"#,
        #"{"discovery": {"static": {"zz": 1}}}"#,
        #"{"discovery": {"static": {"endpoints": [{"name": "a", "url": "http://a", "type": "ollama", "zz": 1}]}}}"#,
        #"{"discovery": {"model_discovery": {"zz": 1}}}"#,
        #"{"model_registry": {"zz": 1}}"#,
        #"{"model_registry": {"routing_strategy": {"zz": 1}}}"#,
        #"{"logging": {"zz": 1}}"#,
    ])
    func everyKeyIsDocumented(_ probe: String) throws {
        let markdown = String(decoding: try ConfigFileReader.readAll(path: Self.documentationPath), as: UTF8.self)
        var message = ""
        do {
            _ = try OllaConfig.parse(Array(probe.utf8), source: "probe")
        } catch {
            message = error.message
        }
        let list = try #require(message.firstRange(of: "(valid keys: "))
        let keys = message[list.upperBound...].dropLast().split(separator: ", ")
        #expect(!keys.isEmpty)
        for key in keys {
            #expect(markdown.contains("`\(key)`"), "key \(key) is not documented")
        }
    }

    @Test func missingFileNamesPathAndReason() {
        #expect(throws: ConfigError(source: "/nonexistent/olla.json",
                                    message: "cannot open config file: No such file or directory")) {
            try OllaConfig.load(path: "/nonexistent/olla.json")
        }
    }

    @Test func directoryIsNotAConfigFile() {
        #expect(throws: ConfigError(source: "/tmp", message: "cannot read config file: Is a directory")) {
            try OllaConfig.load(path: "/tmp")
        }
    }

    @Test func errorsInsideAFileNameThePath() throws {
        let path = try Self.writeTemporaryFile("{\n  \"server\": {\"port\": 0}\n}\n")
        defer { unlink(path) }
        #expect(throws: ConfigError(source: path, line: 2, keyPath: "server.port",
                                    message: "must be between 1 and 65535, found 0")) {
            try OllaConfig.load(path: path)
        }
    }

    @Test func loadsLargerFilesInSeveralReads() throws {
        // More than one 64 KiB read: a valid file padded with whitespace.
        let path = try Self.writeTemporaryFile(String(repeating: " ", count: 200_000) + #"{"logging": {"level": "debug"}}"#)
        defer { unlink(path) }
        #expect(try OllaConfig.load(path: path).logging.level == .debug)
    }

    private static func writeTemporaryFile(_ contents: String) throws -> String {
        var template = Array("/tmp/olla-config-test-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        try #require(written == bytes.count)
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
