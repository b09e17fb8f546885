extension OllaConfig {
    /// Reads and parses the configuration file at `path`.
    ///
    /// Errors name the path: a missing or unreadable file gives e.g.
    /// `/etc/olla/config.json: cannot open config file: No such file or directory`,
    /// and problems inside it are reported as by `parse(_:source:)` with `path` as source.
    public static func load(path: String) throws(ConfigError) -> OllaConfig {
        try parse(ConfigFileReader.readAll(path: path), source: path)
    }

    /// Reads the file at `path` and checks it like `check(_:source:)`: every problem found.
    public static func checkFile(path: String) -> (config: OllaConfig?, errors: [ConfigError]) {
        do {
            return check(try ConfigFileReader.readAll(path: path), source: path)
        } catch {
            return (nil, [error])
        }
    }
}
