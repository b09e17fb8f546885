/// The location of a value inside the configuration, as shown in error messages:
/// `server.port`, `discovery.static.endpoints[2].headers`.
struct ConfigKeyPath: Sendable, Equatable, CustomStringConvertible {
    /// The rendered path; empty for the top-level object.
    let description: String

    static let root = ConfigKeyPath(description: "")

    var isRoot: Bool { description.isEmpty }

    /// The path of member `key` of the object at this path. Keys that would be ambiguous
    /// in dotted form (spaces, dots, brackets, ...) are written as `["odd key"]`.
    func appending(key: String) -> ConfigKeyPath {
        let isPlain = !key.isEmpty && key.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-"
        }
        if !isPlain {
            return ConfigKeyPath(description: description + "[\(JSONValue.quoted(key))]")
        }
        return ConfigKeyPath(description: isRoot ? key : description + "." + key)
    }

    /// The path of element `index` of the array at this path.
    func appending(index: Int) -> ConfigKeyPath {
        ConfigKeyPath(description: description + "[\(index)]")
    }
}
