/// Collects configuration errors so that one validation run reports all of them.
///
/// Decoding normally stops at the first error. While a log is installed
/// (`ConfigErrorLog.collecting`), the places where decoding can carry on — each key read
/// by an accessor, each section, each endpoint, each unknown key — record the error and
/// go on with the default, so `--validate-config` lists every problem in one run.
final class ConfigErrorLog: @unchecked Sendable {
    /// The log of the decode running on this task, if it collects.
    @TaskLocal static var current: ConfigErrorLog?

    /// Only touched by the one synchronous decode that installed the log.
    private(set) var errors: [ConfigError] = []

    func record(_ error: ConfigError) {
        if !errors.contains(error) { errors.append(error) }
    }

    /// Runs `body`; when a log collects, an error is recorded and `fallback` returned
    /// instead, otherwise the error propagates.
    static func recovering<T>(_ fallback: @autoclosure () -> T, _ body: () throws(ConfigError) -> T) throws(ConfigError) -> T {
        do {
            return try body()
        } catch {
            guard let log = current else { throw error }
            log.record(error)
            return fallback()
        }
    }

    /// Runs `decode` with a log installed and returns what it decoded with every error.
    static func collecting<T>(_ decode: () throws(ConfigError) -> T) -> (T?, [ConfigError]) {
        let log = ConfigErrorLog()
        let value: T? = $current.withValue(log) { () -> T? in
            do throws(ConfigError) {
                return try decode()
            } catch {
                log.record(error)
                return nil
            }
        }
        return (value, log.errors)
    }
}
