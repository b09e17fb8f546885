/// One value from the configuration file together with its key path and source, so
/// any problem with it can be reported as `file:line: key.path: message`.
///
/// The typed accessors (`string()`, `integer(in:)`, `duration(_:)`, ...) live in
/// extensions; each either returns a valid value or throws a `ConfigError` that says
/// what was expected and what was found.
struct ConfigField {
    let node: JSONNode
    let path: ConfigKeyPath
    let source: String

    /// An error about this value, located at the value's line.
    func error(_ message: String) -> ConfigError {
        ConfigError(
            source: source,
            line: node.position.line,
            keyPath: path.isRoot ? nil : path.description,
            message: message
        )
    }

    /// `expected <expected>, found <what the file has>`.
    func typeMismatch(expected: String) -> ConfigError {
        error("expected \(expected), found \(node.value.summary)")
    }
}
