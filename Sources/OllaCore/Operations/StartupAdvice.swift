/// The one plain log line Olla writes when no instance answered its start-up checks: which
/// instances did not answer, why, and what to do next. A new user's first `make run` on a
/// machine without Ollama ends here, so the line names the fixes rather than just the state.
public enum StartupAdvice {
    /// A configured instance that did not answer its start-up check.
    public struct Unanswered: Sendable, Equatable {
        /// The endpoint's `name`.
        public var name: String
        /// Its base URL, as configured (normalised).
        public var url: String
        /// What its check saw (the health checker's last error); nil when the check had
        /// not finished when Olla started serving.
        public var error: String?

        /// Creates an entry from its parts.
        public init(name: String, url: String, error: String?) {
            self.name = name
            self.url = url
            self.error = error
        }
    }

    /// The advice when none of the `total` configured instances answered, else nil.
    /// `configFile` is the configuration file, nil when Olla runs on its built-in defaults
    /// (one Ollama at localhost:11434), where the likely fixes are different.
    public static func nothingAnswers(_ unanswered: [Unanswered], total: Int, configFile: String?) -> String? {
        guard total > 0, unanswered.count == total else { return nil }
        guard let configFile else {
            let instance = unanswered[0]
            return "nothing answers at \(instance.url) (\(reason(instance))): start Ollama there (ollama serve), "
                + "or run olla --config FILE naming your instances (see config.example.json), "
                + "or try `make demo` in Olla's source tree for two simulated ones; "
                + "until it answers, requests for models fail"
        }
        let list = unanswered.map { "\($0.name) at \($0.url): \(reason($0))" }.joined(separator: "; ")
        return "no instance answers (\(list)): check that they run and that \(configFile) has their URLs right; "
            + "until one answers, requests for models fail"
    }

    private static func reason(_ instance: Unanswered) -> String {
        instance.error ?? "no answer yet"
    }
}
