import OllaCore

extension Exchange {
    /// Keeps the catalogue and blob placement in step with what a successful management call
    /// changed: a blob upload records where the blob now is; pull, copy, delete and create
    /// re-read the instance's models (fan-outs and calls whose last line waited for the
    /// catalogue already did, before their answer ended).
    func noteManagementOutcome(_ facts: Completion) {
        guard let status = facts.status, (200..<300).contains(status) else { return }
        switch operation {
        case .blobUpload(let digest):
            if let endpoint = facts.endpoint { context.registry.blobStored(digest, on: endpoint) }
        case .pull, .copy, .delete, .create:
            guard !facts.fannedOut, !facts.changesHoldings, let endpoint = facts.endpoint else { return }
            context.refreshInventory(endpoint)
        default:
            break
        }
    }
}
