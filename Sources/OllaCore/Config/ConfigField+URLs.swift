extension ConfigField {
    /// An endpoint base URL such as `"http://192.168.1.20:11434"`.
    func endpointURL() throws(ConfigError) -> EndpointURL {
        let text = try string()
        do {
            return try EndpointURL(parsing: text)
        } catch {
            throw self.error("invalid URL \(JSONValue.quoted(text)): \(error.reason)")
        }
    }

    /// A path such as `"/api/tags"` or an absolute http(s) URL.
    func urlReference() throws(ConfigError) -> String {
        let text = try string()
        do {
            try EndpointURL.validateReference(text)
        } catch {
            throw self.error("invalid URL \(JSONValue.quoted(text)): \(error.reason)")
        }
        return text
    }
}
