import ArgumentParser
import Glibc
import OllaCore

/// `olla`: the command line. Everything long-running lives in `Daemon`.
@main
struct OllaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "olla",
        abstract: "A proxy that makes many Ollama instances look like one.",
        discussion: """
            Serves Ollama's API under /olla/ollama/ (native /api/* and OpenAI-compatible /v1/*).
            The configuration file is --config PATH, else $OLLA_CONFIG_FILE, else built-in defaults
            (listen on localhost:40114, one backend at http://localhost:11434).
            Signals: SIGHUP reloads the configuration file (endpoints, balancing, limits, keys)
            without dropping requests in flight; an invalid file is refused and the running
            configuration stays. SIGTERM/SIGINT stop accepting, let requests in flight finish
            for up to server.shutdown_timeout, then end them and exit 0.
            """,
        version: OllaVersion.string
    )

    @Option(name: [.short, .long], help: "Path of the JSON configuration file.")
    var config: String?

    @Option(name: .customLong("validate-config"), help: ArgumentHelp(
        "Check a configuration file, print the result and exit 0 (valid) or 1 (invalid).",
        valueName: "path"))
    var validateConfig: String?

    func run() throws {
        if let path = validateConfig {
            throw ExitCode(Self.validate(path: path))
        }
        let loaded: (config: OllaConfig, path: String?)
        do {
            loaded = try Self.loadConfig(path: config ?? environment("OLLA_CONFIG_FILE"))
        } catch {
            printError("olla: invalid configuration: \(error)")
            throw ExitCode(1)
        }
        throw ExitCode(Daemon(config: loaded.config, path: loaded.path).run())
    }

    static func validate(path: String) -> Int32 {
        do {
            _ = try OllaConfig.load(path: path)
            print("\(path): configuration is valid")
            return 0
        } catch {
            printError("\(error)")
            return 1
        }
    }

    static func loadConfig(path: String?) throws(ConfigError) -> (config: OllaConfig, path: String?) {
        guard let path, !path.isEmpty else { return (OllaConfig.defaults, nil) }
        return (try OllaConfig.load(path: path), path)
    }

    private func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

func printError(_ text: String) {
    var line = Array((text + "\n").utf8)
    _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
