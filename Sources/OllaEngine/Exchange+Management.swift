import OllaCore

extension Exchange {
    /// Keeps the catalogue and blob placement in step with what management calls changed.
    func noteManagementOutcome() {
        let (status, facts) = (machine.withLock { $0.status }, details.withLock { $0 })
        guard let status, (200..<300).contains(status) else { return }
        let touched = facts.fanOutTargets.isEmpty ? [facts.endpoint?.name].compactMap { $0 } : facts.fanOutTargets.map(\.name)
        switch operation {
        case .blobUpload(let digest):
            if let endpoint = facts.endpoint?.name { context.registry.blobStored(digest, on: endpoint) }
        case .pull, .copy, .delete, .create:
            // Fan-outs refreshed before answering; a forwarded call refreshes now.
            guard facts.fanOutTargets.isEmpty else { return }
            for endpoint in touched { context.refreshInventory(endpoint) }
        default:
            break
        }
    }
}
