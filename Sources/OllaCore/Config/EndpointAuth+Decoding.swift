extension EndpointAuth {
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        let kind = try reader.require("type").choice(Kind.self)
        switch kind {
        case .bearer:
            self.init(kind: kind, primary: try Self.secret("token", &reader))
        case .apiKey:
            let header = try reader.take("header")?.identifier() ?? "X-Api-Key"
            self.init(kind: kind, primary: try Self.secret("key", &reader), header: header)
        case .basic:
            self.init(kind: kind, primary: try Self.secret("username", &reader), password: try Self.secret("password", &reader))
        }
    }

    /// Exactly one of `name` and `name_file`.
    private static func secret(_ name: String, _ reader: inout ConfigObjectReader) throws(ConfigError) -> Secret {
        let inline = try reader.take(name)?.string()
        let file = try reader.take(name + "_file")?.string()
        switch (inline, file) {
        case (let value?, nil): return .inline(value)
        case (nil, let path?): return .file(path)
        case (.some, .some): throw reader.field.error("set either '\(name)' or '\(name)_file', not both")
        case (nil, nil): throw reader.field.error("missing '\(name)' (or '\(name)_file')")
        }
    }
}
