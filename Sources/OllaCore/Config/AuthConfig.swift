/// The `server.auth` section: API keys clients must present.
///
/// Authentication is on when `apiKeys` is not empty or `apiKeysEnv` names a variable;
/// the daemon reads that variable at start-up (see `APIKeyCheck.keys(fromEnvironmentValue:)`),
/// so secrets need not live in the file.
public struct AuthConfig: Sendable, Equatable {
    /// `api_keys`: accepted keys; each non-empty, without whitespace. Default none.
    public var apiKeys: [String]
    /// `api_keys_env`: the name of an environment variable holding more keys,
    /// comma-separated; `""` for none. Default `""`.
    public var apiKeysEnv: String

    /// Creates an auth configuration; every parameter defaults to the documented default.
    public init(apiKeys: [String] = [], apiKeysEnv: String = "") {
        self.apiKeys = apiKeys
        self.apiKeysEnv = apiKeysEnv
    }

    /// The configuration used when the section is absent: no authentication.
    public static let defaults = AuthConfig()
}
