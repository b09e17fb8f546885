extension StaticDiscoveryConfig {
    init(from reader: inout ConfigObjectReader) throws(ConfigError) {
        guard let listField = reader.take("endpoints") else {
            self = .defaults
            return
        }
        let items = try listField.array()
        guard !items.isEmpty else {
            throw listField.error("must list at least one endpoint (omit 'endpoints' to use the local Ollama default)")
        }
        var endpoints: [EndpointConfig] = []
        var firstIndexByName: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            // While validating, a bad endpoint is reported and the next one still checked.
            let decoded = try ConfigErrorLog.recovering(nil) { () throws(ConfigError) -> EndpointConfig? in
                var endpointReader = try item.object()
                let endpoint = try EndpointConfig(from: &endpointReader)
                try endpointReader.finish()
                if let firstIndex = firstIndexByName[endpoint.name] {
                    let nameField = endpointReader.peek("name") ?? item
                    throw nameField.error("duplicate endpoint name \"\(endpoint.name)\" (first used by endpoints[\(firstIndex)])")
                }
                return endpoint
            }
            guard let endpoint = decoded else { continue }
            firstIndexByName[endpoint.name] = index
            endpoints.append(endpoint)
        }
        self.init(endpoints: endpoints)
    }
}
