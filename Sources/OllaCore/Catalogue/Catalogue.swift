/// The merged model catalogue: one view of the models of every routable endpoint, from
/// which Olla routes requests and answers `/api/tags`, `/api/ps`, `/api/version` and
/// `/v1/models` itself, from memory.
///
/// Built from the latest inventories of the endpoints that are currently routable, in
/// preference order; that order decides which endpoint's copy of a model represents it
/// and the order of `holders(of:)`. A catalogue is immutable: rebuild it when an
/// inventory or an endpoint's health changes. Every response body is rendered once, at
/// construction, so serving one costs nothing.
///
/// Names are compared with `ModelName.canonical`: `Llama3` finds `llama3:latest`.
public struct Catalogue: Sendable {
    /// The inventories the catalogue was built from, in the given order.
    public let inventories: [EndpointInventory]
    /// The models as `/api/tags` lists them: merged (see `tagsBody()`) and sorted by
    /// modification time, newest first.
    public let models: [ModelEntry]
    /// The loaded models as `/api/ps` lists them: merged (see `psBody()`) and sorted by
    /// expiry, latest first.
    public let loadedModels: [LoadedModel]

    /// Inventory indices (ascending, unique) holding each canonical name.
    private let holderIndices: [String: [Int]]
    /// Inventory indices (ascending, unique) with each canonical name loaded.
    private let loadedIndices: [String: [Int]]
    /// The first entry, in input order, for each canonical name.
    private let firstEntries: [String: ModelEntry]
    let renderedTags: [UInt8]
    let renderedPs: [UInt8]
    let renderedOpenAIModels: [UInt8]
    let renderedVersion: [UInt8]?

    /// Builds the catalogue of `inventories`: the routable endpoints, most preferred first.
    public init(_ inventories: [EndpointInventory]) {
        self.inventories = inventories
        var holders: [String: [Int]] = [:]
        var loaded: [String: [Int]] = [:]
        var firsts: [String: ModelEntry] = [:]
        for (index, inventory) in inventories.enumerated() {
            for entry in inventory.models {
                let name = ModelName.canonical(entry.name)
                Self.record(index, under: name, in: &holders)
                if firsts[name] == nil {
                    firsts[name] = entry
                }
            }
            for model in inventory.loaded {
                Self.record(index, under: ModelName.canonical(model.name), in: &loaded)
            }
        }
        holderIndices = holders
        loadedIndices = loaded
        firstEntries = firsts
        models = Self.mergeTags(inventories)
        loadedModels = Self.mergeLoaded(inventories)
        renderedTags = Self.renderTags(models)
        renderedPs = Self.renderPs(loadedModels)
        renderedOpenAIModels = Self.renderOpenAIList(Self.mergeOpenAI(inventories))
        renderedVersion = Self.lowestVersion(of: inventories).map(Self.versionBody)
    }

    /// The endpoints that have `model`, in input (preference) order.
    public func holders(of model: String) -> [String] {
        endpointNames(holderIndices[ModelName.canonical(model)])
    }

    /// The endpoints that have `model` loaded in memory (per `/api/ps`), in input order.
    public func loadedOn(_ model: String) -> [String] {
        endpointNames(loadedIndices[ModelName.canonical(model)])
    }

    /// Whether any endpoint has `model`.
    public func contains(_ model: String) -> Bool {
        holderIndices[ModelName.canonical(model)] != nil
    }

    /// The entry for `model` from the first (most preferred) endpoint that has it.
    public func entry(for model: String) -> ModelEntry? {
        firstEntries[ModelName.canonical(model)]
    }

    private func endpointNames(_ indices: [Int]?) -> [String] {
        (indices ?? []).map { inventories[$0].endpoint }
    }

    /// Appends `index` to the list for `name` unless it is already last (an endpoint
    /// listing the same name twice counts once; indices arrive in ascending order).
    private static func record(_ index: Int, under name: String, in table: inout [String: [Int]]) {
        if table[name]?.last != index {
            table[name, default: []].append(index)
        }
    }
}
