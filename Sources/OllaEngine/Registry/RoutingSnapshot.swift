import OllaCore

/// An immutable picture of every endpoint and the merged catalogue, taken once per request.
public struct RoutingSnapshot: Sendable {
    public struct EndpointView: Sendable {
        public var config: EndpointConfig
        public var state: EndpointState
        public var isRoutable: Bool
        /// The last inventory reported, kept while the endpoint is down so Olla can tell
        /// "this model exists but its hosts are down" (503) from "no such model" (404).
        public var inventory: EndpointInventory?
    }

    public let endpoints: [EndpointView]
    /// Built from routable endpoints only: what clients are offered.
    public let catalogue: Catalogue

    init(endpoints: [EndpointView], inventories: [EndpointInventory]) {
        self.endpoints = endpoints
        self.catalogue = Catalogue(inventories)
    }

    public func view(_ name: String) -> EndpointView? {
        endpoints.first { $0.config.name == name }
    }

    /// Endpoints that are down now but reported the model before.
    public func downHolders(of model: String) -> [String] {
        endpoints.compactMap { view in
            guard !view.isRoutable, let inventory = view.inventory else { return nil }
            return inventory.models.contains { ModelName.matches($0.name, model) } ? view.config.name : nil
        }
    }
}
