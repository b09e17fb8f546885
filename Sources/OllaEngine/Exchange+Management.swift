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
            // Fan-outs and held answers refreshed before their last byte; others refresh now.
            guard facts.fanOutTargets.isEmpty, !facts.refreshesBeforeEnd else { return }
            for endpoint in touched { context.refreshInventory(endpoint) }
        default:
            break
        }
    }

    /// Whether this request changes what an instance holds: models on disk (pull, create,
    /// copy, delete) or in memory (a load or unload request). Its answer must not end before
    /// the catalogue shows the change: a chat sent right after a pull returned must find the
    /// model, `ollama ps` right after a load must list it.
    static func changesHoldings(_ operation: OllamaOperation, path: Substring, body: [UInt8]?) -> Bool {
        switch operation {
        case .pull, .create, .copy, .delete: true
        case .modelBound: LoadRequest.matches(path: path, body)
        default: false
        }
    }

    /// Ends a successful transfer that changed holdings only once the catalogue shows it:
    /// the last line was held back (`ExchangeStateMachine.holdFinalRecord`), and the end of
    /// the transfer reaches the state machine after the endpoint's models were re-read.
    /// Returns false when the transfer ends as usual.
    func finishAfterCatalogueRefresh(endpoint: String) -> Bool {
        let (refreshes, status) = details.withLock { ($0.refreshesBeforeEnd, $0.upstreamStatus) }
        guard refreshes, let status, (200..<300).contains(status) else { return false }
        Task {
            await context.refreshInventoryNow(endpoint)
            let actions = withMachine { $0.upstreamFinished(nil) }
            perform(actions.upstream)
        }
        return true
    }
}
