import OllaCore

/// An immutable picture of every endpoint and the merged catalogue, taken once per request.
///
/// A class: every request takes the published snapshot at least once (admission, routing,
/// catalogue answers), and as a struct each copy retained and released every array, set and
/// string inside it (~50 reference-count operations); a reference is one.
public final class RoutingSnapshot: Sendable {
    /// One endpoint as routing sees it: configuration, health and last inventory.
    public struct EndpointView: Sendable {
        /// The endpoint's configuration.
        public var config: EndpointConfig {
            didSet {
                target = Self.target(of: config, slot: target.slot)
                freeSummary = Self.freeSummary(config.name)
            }
        }
        /// The scheduler's summary of a request dispatched here to a loaded model with a free
        /// slot, "loaded on NAME, free" (`PlacementEstimate.summary`), made once per snapshot:
        /// the usual `X-Olla-Routing-Reason`, not built per request.
        public private(set) var freeSummary: String
        /// Where a request routed here goes (name, base URL, headers, type), composed once
        /// per snapshot instead of once per request.
        public private(set) var target: EndpointTarget
        /// Its health state when the snapshot was taken.
        public var state: EndpointState
        /// Whether requests may be sent to it.
        public var isRoutable: Bool
        /// The last inventory reported, kept while the endpoint is down so Olla can tell
        /// "this model exists but its hosts are down" (503) from "no such model" (404).
        public var inventory: EndpointInventory? {
            didSet { (modelKeys, loadedKeys) = Self.keys(of: inventory) }
        }
        /// `ModelName.canonical` of every model in `inventory`, computed once per snapshot so
        /// routing a request is a hash lookup of its canonical model name.
        public private(set) var modelKeys: Set<String>
        /// `ModelName.canonical` of every model `inventory` reports loaded.
        public private(set) var loadedKeys: Set<String>

        /// A view of one endpoint; the canonical model names are computed here, once.
        /// `slot`: the endpoint's position in its registry (`EndpointTarget.slot`).
        public init(config: EndpointConfig, state: EndpointState, isRoutable: Bool, inventory: EndpointInventory?,
                    slot: Int? = nil) {
            self.config = config
            self.target = Self.target(of: config, slot: slot)
            self.freeSummary = Self.freeSummary(config.name)
            self.state = state
            self.isRoutable = isRoutable
            self.inventory = inventory
            (modelKeys, loadedKeys) = Self.keys(of: inventory)
        }

        private static func freeSummary(_ name: String) -> String {
            PlacementEstimate(candidate: SchedulingCandidate(name: name), residency: .loaded, queueWait: 0, loadTime: 0,
                              canStartNow: true).summary
        }

        private static func target(of config: EndpointConfig, slot: Int?) -> EndpointTarget {
            EndpointTarget(name: config.name, baseURL: config.url.baseURL, priority: config.priority,
                           extraHeaders: config.headers, type: config.type, slot: slot)
        }

        /// Whether the inventory lists the model whose canonical name is `key`.
        public func holds(_ key: String) -> Bool { modelKeys.contains(key) }

        /// Whether the inventory reports the model whose canonical name is `key` loaded.
        public func hasLoaded(_ key: String) -> Bool { loadedKeys.contains(key) }

        private static func keys(of inventory: EndpointInventory?) -> (models: Set<String>, loaded: Set<String>) {
            guard let inventory else { return ([], []) }
            return (Set(inventory.models.map { ModelName.canonical($0.name) }),
                    Set(inventory.loaded.map { ModelName.canonical($0.name) }))
        }

        /// Whether requests of the API `flavor` may go to this endpoint: every endpoint
        /// serves the OpenAI family, only Ollama instances serve the native and Anthropic APIs.
        public func speaks(_ flavor: APIFlavor) -> Bool {
            flavor.isOpenAIFamily || config.type == .ollama
        }
    }

    /// Every endpoint, in configuration order.
    public let endpoints: [EndpointView]
    /// Every routable endpoint's models: what the OpenAI API (`/v1/models`) offers, since
    /// `/v1/*` routes to endpoints of every type. Also what the status routes report.
    public let catalogue: Catalogue
    /// The routable `ollama` endpoints' models: what the native API (`/api/tags`,
    /// `/api/ps`, `/api/version`) offers, since `/api/*` routes only to Ollama instances.
    /// A model listed there can be shown, chatted with and pulled through `/api/*`.
    public let nativeCatalogue: Catalogue

    /// Per canonical model name, the indices in `endpoints` of the routable endpoints whose
    /// inventory lists it, in configuration order: every type (what the OpenAI family may
    /// use), and the `ollama` ones only (the native and Anthropic APIs; `EndpointView.speaks`).
    private let routableHoldersByKey: [String: [Int]]
    private let routableOllamaHoldersByKey: [String: [Int]]
    /// The same, by the spellings a request usually names a routable model with: each name an
    /// inventory lists, the canonical name, and the canonical name without its `:latest`, each
    /// only when `ModelName.canonical` of it is that canonical name. A request naming one is
    /// routed with one hash of the name as it came (no canonical name made per request, and
    /// no second hash of it).
    private let routableHoldersBySpelling: [String: Spelled]

    /// A model's canonical name and its routable holders (`routableHoldersBySpelling`).
    private struct Spelled: Sendable {
        var key: String
        var all: [Int]
        var ollama: [Int]
    }

    init(endpoints: [EndpointView], inventories: [EndpointInventory]) {
        self.endpoints = endpoints
        var holders: [String: [Int]] = [:]
        var ollamaHolders: [String: [Int]] = [:]
        for (index, view) in endpoints.enumerated() where view.isRoutable {
            for key in view.modelKeys {
                holders[key, default: []].append(index)
                if view.config.type == .ollama { ollamaHolders[key, default: []].append(index) }
            }
        }
        self.routableHoldersByKey = holders
        self.routableOllamaHoldersByKey = ollamaHolders
        var spellings: [String: Spelled] = [:]
        func add(_ spelling: String, _ key: String) {
            guard spellings[spelling] == nil, ModelName.canonical(spelling) == key else { return }
            spellings[spelling] = Spelled(key: key, all: holders[key] ?? [], ollama: ollamaHolders[key] ?? [])
        }
        for view in endpoints where view.isRoutable {
            for model in view.inventory?.models ?? [] { add(model.name, ModelName.canonical(model.name)) }
        }
        for key in holders.keys {
            add(key, key)
            if key.hasSuffix(":latest") { add(String(key.dropLast(":latest".count)), key) }
        }
        self.routableHoldersBySpelling = spellings
        self.catalogue = Catalogue(inventories)
        self.nativeCatalogue = inventories.allSatisfy { $0.kind == .ollama }
            ? catalogue : Catalogue(inventories.filter { $0.kind == .ollama })
    }

    /// What `/api/version` reports: the lowest version the routable Ollama instances
    /// reported; while none of them has one (all down), the lowest any Ollama instance
    /// reported before. Nil when none ever did: Olla then says why instead of inventing a
    /// version (clients compare it to decide what they may use).
    public var ollamaVersion: String? {
        if let version = Catalogue.lowestVersion(of: nativeCatalogue.inventories) { return version }
        return Catalogue.lowestVersion(of: endpoints.compactMap { view in
            view.config.type == .ollama ? view.inventory : nil
        })
    }

    /// The catalogue the API of `flavor` can route to.
    public func catalogue(for flavor: APIFlavor) -> Catalogue {
        flavor.isOpenAIFamily ? catalogue : nativeCatalogue
    }

    /// The endpoint called `name`; nil for an unknown name.
    public func view(_ name: String) -> EndpointView? {
        endpoints.first { $0.config.name == name }
    }

    /// The routable endpoints that serve the API `flavor` and list the model whose canonical
    /// name is `key`, as indices in `endpoints`, in configuration order: one hash lookup,
    /// computed per snapshot, not a scan of every endpoint per request.
    public func routableHolders(ofKey key: String, speaking flavor: APIFlavor) -> [Int] {
        (flavor.isOpenAIFamily ? routableHoldersByKey[key] : routableOllamaHoldersByKey[key]) ?? []
    }

    /// The canonical name of the model a request names as `model` (`ModelName.canonical`) and
    /// `routableHolders(ofKey:speaking:)` of it: one hash for a usual spelling of a routable
    /// model (`routableHoldersBySpelling`), else the canonical name made and looked up.
    public func routableHolders(ofModel model: String, speaking flavor: APIFlavor) -> (key: String, holders: [Int]) {
        if let spelled = routableHoldersBySpelling[model] {
            return (spelled.key, flavor.isOpenAIFamily ? spelled.all : spelled.ollama)
        }
        let key = ModelName.canonical(model)
        return (key, routableHolders(ofKey: key, speaking: flavor))
    }

    /// Endpoints that are down now but reported the model before, among those that serve
    /// the API `flavor`.
    public func downHolders(of model: String, flavor: APIFlavor) -> [String] {
        downHolders(ofKey: ModelName.canonical(model), flavor: flavor)
    }

    /// Endpoints that are down now but reported the model whose canonical name is `key`
    /// before, among those that serve the API `flavor`.
    public func downHolders(ofKey key: String, flavor: APIFlavor) -> [String] {
        endpoints.compactMap { view in
            !view.isRoutable && view.speaks(flavor) && view.holds(key) ? view.config.name : nil
        }
    }
}
