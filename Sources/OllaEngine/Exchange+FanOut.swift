import OllaCore

extension Exchange {
    /// Sends the request to every target at once and answers with one merged response
    /// (`FanOutOutcome.merge`): the instances' answer when all succeeded, otherwise an error
    /// naming where it failed and where it succeeded. Every fetch shares the one body.
    func runFanOut(_ targets: [EndpointTarget], body: RequestBody) {
        let fetcher = Fetcher(transport: transport)
        let requests = targets.map { target in
            Fetcher.Request(
                url: target.baseURL + route.upstreamTarget, method: method,
                headers: requestHeaders + target.extraHeaders,
                body: body.count == 0 && method == "GET" ? nil : body.bytes,
                timeout: context.settings.responseTimeout ?? .seconds(600))
        }
        Task {
            var results: [(EndpointTarget, Result<Fetcher.Response, UpstreamFailure>)] = []
            await withTaskGroup(of: (Int, Result<Fetcher.Response, UpstreamFailure>).self) { group in
                for (index, request) in requests.enumerated() {
                    group.addTask { (index, await fetcher.fetch(request)) }
                }
                var collected: [(Int, Result<Fetcher.Response, UpstreamFailure>)] = []
                for await result in group { collected.append(result) }
                results = collected.sorted { $0.0 < $1.0 }.map { (targets[$0.0], $0.1) }
            }
            // Answer only once the catalogue shows the change: `ollama rm` followed at once
            // by `ollama list` must not list the model again. Every instance that answered
            // is re-read, since even a failed pull or create may have changed what it holds.
            await withTaskGroup(of: Void.self) { group in
                for (target, result) in results {
                    if case .success = result { group.addTask { await self.context.refreshInventoryNow(target.name) } }
                }
            }
            let operationName = route.path.split(separator: "/").last.map(String.init) ?? "request"
            let response = FanOutOutcome.merge(results, operation: operationName, flavor: route.flavor)
            run { $0.fanOutFinished(response) }
        }
    }
}
