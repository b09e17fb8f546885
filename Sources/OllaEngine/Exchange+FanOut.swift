import OllaCore

extension Exchange {
    /// Sends the request to every target at once and answers with one merged response:
    /// the first success when all succeeded, otherwise the first failure (so a client sees
    /// why its delete or copy did not happen everywhere).
    func runFanOut(_ targets: [EndpointTarget], body: [UInt8]) {
        let fetcher = Fetcher(transport: transport)
        let requests = targets.map { target in
            Fetcher.Request(
                url: target.baseURL + route.upstreamTarget, method: method,
                headers: requestHeaders + target.extraHeaders, body: body.isEmpty && method == "GET" ? nil : body,
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
            // by `ollama list` must not list the model again.
            for (target, result) in results {
                if case .success(let response) = result, (200..<300).contains(response.status) {
                    await context.refreshInventoryNow(target.name)
                }
            }
            let response = Self.merge(results, flavor: route.flavor)
            let actions = withMachine { $0.fanOutFinished(response) }
            perform(actions.upstream)
        }
    }

    static func merge(_ results: [(EndpointTarget, Result<Fetcher.Response, UpstreamFailure>)], flavor: APIFlavor) -> LocalResponse {
        let names = results.map(\.0.name).joined(separator: ",")
        var failures: [String] = []
        var firstSuccess: Fetcher.Response?
        var firstRefusal: Fetcher.Response?
        for (target, result) in results {
            switch result {
            case .success(let response) where (200..<300).contains(response.status):
                if firstSuccess == nil { firstSuccess = response }
            case .success(let response):
                if firstRefusal == nil { firstRefusal = response }
                failures.append("\(target.name): HTTP \(response.status)")
            case .failure(let failure):
                failures.append("\(target.name): \(failure.message)")
            }
        }
        if failures.isEmpty, let success = firstSuccess {
            return passThrough(success, endpoints: names)
        }
        if let refusal = firstRefusal {
            return passThrough(refusal, endpoints: names)
        }
        let error = ProxyError(.badGateway, "not every instance completed the request: " + failures.joined(separator: "; "))
        var response = LocalResponse.error(error, flavor: flavor)
        response.headers.append(("X-Olla-Endpoint", names))
        return response
    }

    private static func passThrough(_ response: Fetcher.Response, endpoints: String) -> LocalResponse {
        var headers = HeaderRules.clientResponseHeaders(upstream: response.headers)
        headers.append(("X-Olla-Endpoint", endpoints))
        headers.append(("X-Olla-Backend-Type", "ollama"))
        return LocalResponse(status: response.status, headers: headers, body: response.body)
    }
}
