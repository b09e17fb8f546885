/// Olla's own version, as `/version`, `olla --version` and the start-up log report it
/// (`packaging/build-deb.sh` reads it from this file, too).
public enum OllaVersion {
    /// The version, `MAJOR.MINOR.PATCH` (semantic versioning).
    public static let string = "0.1.0"
}
