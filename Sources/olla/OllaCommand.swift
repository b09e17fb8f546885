import Glibc
import OllaCore

/// `olla`: the command line. Everything long-running lives in `Daemon`.
///
/// Parsed by hand rather than with swift-argument-parser: that package links Foundation,
/// which alone would double the daemon's idle memory for four flags.
@main
enum OllaCommand {
    static let usage = """
        USAGE: olla [--config <path>] [--validate-config <path>] [--version] [--help]

        A proxy that makes many Ollama instances look like one. It serves Ollama's API under
        /olla/ollama/ (native /api/* and OpenAI-compatible /v1/*).

        OPTIONS:
          -c, --config <path>       The JSON configuration file. Without it, $OLLA_CONFIG_FILE;
                                    without that, built-in defaults (listen on localhost:40114,
                                    one backend at http://localhost:11434).
          --validate-config <path>  Check a configuration file as start-up does (auth
                                    secrets included), print the result and exit 0 (valid)
                                    or 1 (every problem, each with its key, line and reason).
          --version                 Print the version.
          -h, --help                Show this help.

        SIGNALS:
          SIGHUP           Reload the configuration file (endpoints, balancing, limits, keys)
                           without dropping requests in flight; an invalid file is refused
                           and the running configuration stays.
          SIGTERM, SIGINT  Stop accepting, let requests in flight finish for up to
                           server.shutdown_timeout, then end them and exit 0.
        """

    enum Action: Equatable {
        case run(config: String?)
        case validate(String)
        case version
        case help
    }

    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    static func main() {
        let action: Action
        do {
            action = try parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            printError("olla: \(error)\n\n" + usage)
            exit(64)
        }
        switch action {
        case .help: print(usage)
        case .version: print(OllaVersion.string)
        case .validate(let path): exit(validate(path: path))
        case .run(let path): exit(run(configPath: path ?? environment("OLLA_CONFIG_FILE")))
        }
    }

    /// `--flag value`, `--flag=value` and `-c value`; the last `--config` wins.
    static func parse(_ arguments: [String]) throws(UsageError) -> Action {
        var config: String?
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            let (flag, inline) = split(argument)
            switch flag {
            case "-h", "--help": return .help
            case "--version": return .version
            case "-c", "--config": config = try value(of: flag, inline, &remaining)
            case "--validate-config": return .validate(try value(of: flag, inline, &remaining))
            default: throw UsageError(description: "unknown argument '\(argument)'")
            }
        }
        return .run(config: config)
    }

    private static func split(_ argument: String) -> (String, String?) {
        guard argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    private static func value(of flag: String, _ inline: String?, _ remaining: inout ArraySlice<String>) throws(UsageError) -> String {
        if let inline, !inline.isEmpty { return inline }
        guard let next = remaining.popFirst(), !next.isEmpty else {
            throw UsageError(description: "\(flag) needs a path")
        }
        return next
    }

    /// Checks what start-up checks — the file, and the secrets its `auth` blocks name
    /// (`${VAR}` and `_file`) — and prints every problem found, one per line.
    static func validate(path: String) -> Int32 {
        let (config, errors) = OllaConfig.checkFile(path: path)
        var problems = errors.map(\.description)
        if let config {
            problems += Wiring.credentialProblems(config.discovery.staticEndpoints.endpoints).map { "\(path): \($0)" }
        }
        guard !problems.isEmpty else {
            print("\(path): configuration is valid")
            return 0
        }
        for problem in problems { printError(problem) }
        if problems.count > 1 { printError("\(path): \(problems.count) problems") }
        return 1
    }

    static func run(configPath: String?) -> Int32 {
        let path = configPath.flatMap { $0.isEmpty ? nil : $0 }
        let config: OllaConfig
        do {
            config = try path.map { path throws(ConfigError) in try OllaConfig.load(path: path) } ?? .defaults
        } catch {
            printError("olla: invalid configuration: \(error)")
            return 1
        }
        return Daemon(config: config, path: path).run()
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

func printError(_ text: String) {
    var line = Array((text + "\n").utf8)
    _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
