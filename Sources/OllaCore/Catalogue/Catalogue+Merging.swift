extension Catalogue {
    /// Identifies "the same model" across endpoints: same canonical name and same digest.
    struct MergeKey: Hashable {
        let name: String
        /// Lowercased; empty when the endpoint reported none.
        let digest: String

        init(name: String, digest: String?) {
            self.name = ModelName.canonical(name)
            self.digest = digest?.lowercased() ?? ""
        }
    }

    /// The `/api/tags` list: every entry of every inventory, merged, newest first.
    ///
    /// Entries with the same canonical name *and* digest are one model present on several
    /// endpoints: it is listed once, as the first (most preferred) endpoint reported it.
    /// Entries with the same name but different digests are kept, each of them, in input
    /// order: they are different builds of the model (one host pulled a newer `latest`),
    /// and hiding all but one would misstate what a request may be served by; Ollama
    /// clients tolerate repeated names. Entries without a digest (OpenAI-compatible
    /// endpoints) merge only with other digest-less entries of the same name, since
    /// nothing shows they are the same build as an Ollama one.
    ///
    /// Sorted as Ollama sorts: by `modified_at` in whole seconds, newest first, stable
    /// (ties keep input order); entries without a usable time go last.
    static func mergeTags(_ inventories: [EndpointInventory]) -> [ModelEntry] {
        var seen: Set<MergeKey> = []
        var merged: [ModelEntry] = []
        for inventory in inventories {
            for entry in inventory.models where seen.insert(MergeKey(name: entry.name, digest: entry.digest)).inserted {
                merged.append(entry)
            }
        }
        return stableSortedDescending(merged) { $0.modifiedUnixSeconds }
    }

    /// The `/api/ps` list: loaded models of every inventory, merged, latest expiry first.
    ///
    /// The same canonical name and digest loaded on several endpoints is listed once,
    /// with the record that expires last (it describes the copy that stays longest).
    /// Sorted as Ollama sorts: by `expires_at` in whole seconds, latest first, stable.
    static func mergeLoaded(_ inventories: [EndpointInventory]) -> [LoadedModel] {
        var positions: [MergeKey: Int] = [:]
        var merged: [LoadedModel] = []
        for inventory in inventories {
            for model in inventory.loaded {
                let key = MergeKey(name: model.name, digest: model.digest)
                guard let position = positions[key] else {
                    positions[key] = merged.count
                    merged.append(model)
                    continue
                }
                if let expiry = model.expiry, merged[position].expiry.map({ expiry > $0 }) ?? true {
                    merged[position] = model
                }
            }
        }
        return stableSortedDescending(merged) { $0.expiry?.unixSeconds }
    }

    /// The `/v1/models` list: one entry per canonical name, the first in input
    /// (preference) order, sorted by modification time, newest first, as Ollama's
    /// `/v1/models` (built from its sorted `/api/tags`) is.
    static func mergeOpenAI(_ inventories: [EndpointInventory]) -> [ModelEntry] {
        var seen: Set<String> = []
        var merged: [ModelEntry] = []
        for inventory in inventories {
            for entry in inventory.models where seen.insert(ModelName.canonical(entry.name)).inserted {
                merged.append(entry)
            }
        }
        return stableSortedDescending(merged) { $0.modifiedUnixSeconds }
    }

    /// `elements` sorted by `key`, largest first; equal keys keep their order and nil
    /// keys go last. (The standard library's sort does not promise stability.)
    static func stableSortedDescending<Element>(_ elements: [Element], by key: (Element) -> Int?) -> [Element] {
        elements.enumerated()
            .map { (key: key($0.element) ?? Int.min, offset: $0.offset, element: $0.element) }
            .sorted { $0.key != $1.key ? $0.key > $1.key : $0.offset < $1.offset }
            .map(\.element)
    }
}
