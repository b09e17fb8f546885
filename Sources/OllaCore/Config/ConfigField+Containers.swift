extension ConfigField {
    /// The elements of an array, each as a field with an indexed key path.
    func array() throws(ConfigError) -> [ConfigField] {
        guard case .array(let elements) = node.value else {
            throw typeMismatch(expected: "an array")
        }
        return elements.enumerated().map { index, element in
            ConfigField(node: element, path: path.appending(index: index), source: source)
        }
    }

    /// A reader over the members of an object.
    func object() throws(ConfigError) -> ConfigObjectReader {
        try ConfigObjectReader(self)
    }
}
