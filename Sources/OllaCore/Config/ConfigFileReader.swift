#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file with `open`/`read`, reporting failures as `ConfigError`s that name
/// the path and the system's reason (`No such file or directory`, `Permission denied`, ...).
public enum ConfigFileReader {
    /// Configuration files are tiny; a limit keeps `--config /dev/zero` from eating memory.
    static let maximumSize = 16 * 1_024 * 1_024

    /// The whole file at `path`, at most 16 MiB.
    ///
    /// - Throws: `ConfigError` naming the path and the system's reason when the file cannot
    ///   be opened or read, or is larger than the limit.
    public static func readAll(path: String) throws(ConfigError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw failure(path, "cannot open config file")
        }
        defer { close(descriptor) }

        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1_024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 {
                return contents
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path, "cannot read config file")
            }
            contents.append(contentsOf: chunk[..<count])
            guard contents.count <= maximumSize else {
                throw ConfigError(source: path, message: "config file is larger than \(maximumSize / 1_048_576) MiB")
            }
        }
    }

    /// An error for the current `errno`, e.g. `cannot open config file: Permission denied`.
    private static func failure(_ path: String, _ action: String) -> ConfigError {
        let reason = strerror(errno).map { String(cString: $0) } ?? "error \(errno)"
        return ConfigError(source: path, message: "\(action): \(reason)")
    }
}
