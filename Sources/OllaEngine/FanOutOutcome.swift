import OllaCore

/// How one instance did in a fan-out (pull to all, copy, delete, unload, create), and the
/// one answer the client gets for all of them.
///
/// Ollama reports many failures inside a `200` stream, as a last `{"error":"..."}` line
/// (a pull whose manifest does not exist, a create whose blob is missing): that counts as
/// a failure, as does a non-2xx status or a transfer that failed. The merged answer does not
/// depend on the order of the endpoints: when every instance succeeded the client gets the
/// instances' own answer; when any failed it gets an error that names which instances
/// succeeded and which failed, and why.
enum FanOutOutcome: Equatable {
    case succeeded
    case failed(String)

    /// Classifies one instance's answer. `body` is the whole (NDJSON or JSON) body.
    static func of(_ result: Result<Fetcher.Response, UpstreamFailure>) -> FanOutOutcome {
        switch result {
        case .failure(let failure):
            return .failed(failure.message)
        case .success(let response):
            let error = inStreamError(response.body)
            if !(200..<300).contains(response.status) {
                return .failed("HTTP \(response.status)" + (error.map { ": " + $0 } ?? ""))
            }
            return error.map(FanOutOutcome.failed) ?? .succeeded
        }
    }

    /// The `error` member of the first JSON line (NDJSON record, or the whole JSON body)
    /// that has one, as every Ollama client checks each stream line for it.
    static func inStreamError(_ body: [UInt8]) -> String? {
        var start = 0
        while start < body.count {
            let end = body[start...].firstIndex(of: UInt8(ascii: "\n")) ?? body.count
            if end > start {
                let found = body[start..<end].withUnsafeBytes { line in
                    JSONBodyScanner.topLevelString(forKeys: ["error"], in: line)?.value
                }
                if let found { return found }
            }
            start = end + 1
        }
        return nil
    }

    /// The one answer for a fan-out whose members answered `results`.
    ///
    /// - All succeeded: the first instance's answer, as it sent it (they say the same thing).
    /// - Any failed, and the answer was a stream (`application/x-ndjson`): `200` and NDJSON,
    ///   one `{"status":"<endpoint>: success"}` line per instance that succeeded, then one
    ///   `{"error":"..."}` line, the way Ollama ends a stream that failed.
    /// - Any failed otherwise: the highest status among the failed instances' answers (`502`
    ///   when none answered) and an error body.
    ///
    /// The error names the operation, each failed instance with its reason, and the instances
    /// where it succeeded, sorted by name.
    static func merge(_ results: [(EndpointTarget, Result<Fetcher.Response, UpstreamFailure>)],
                      operation: String, flavor: APIFlavor) -> LocalResponse {
        let outcomes = results.map { (target: $0.0, result: $0.1, outcome: of($0.1)) }
            .sorted { $0.target.name < $1.target.name }
        let succeeded = outcomes.filter { $0.outcome == .succeeded }.map(\.target.name)
        let failed = outcomes.compactMap { entry -> (String, String)? in
            if case .failed(let reason) = entry.outcome { return (entry.target.name, reason) }
            return nil
        }
        var headers: [HTTPHeader] = [HTTPHeader("X-Olla-Endpoint", outcomes.map(\.target.name).joined(separator: ","))]
        if !succeeded.isEmpty { headers.append(HTTPHeader("X-Olla-Fan-Out-Succeeded", succeeded.joined(separator: ","))) }
        if !failed.isEmpty { headers.append(HTTPHeader("X-Olla-Fan-Out-Failed", failed.map(\.0).joined(separator: ","))) }
        guard !failed.isEmpty else {
            let first = results.first { if case .success = $0.1 { true } else { false } }
            guard let first, case .success(let response) = first.1 else {
                return LocalResponse(status: 204, headers: headers, body: [])
            }
            var passed = HeaderRules.clientResponseHeaders(upstream: response.headers) + headers
            passed.append(HTTPHeader("X-Olla-Backend-Type", first.0.type.rawValue))
            return LocalResponse(status: response.status, headers: passed, body: response.body)
        }
        var message = "\(operation) failed on " + failed.map { "\($0.0) (\($0.1))" }.joined(separator: ", ")
        if !succeeded.isEmpty { message += "; succeeded on " + succeeded.joined(separator: ", ") }
        let streamed = outcomes.contains { entry in
            guard case .success(let response) = entry.result else { return false }
            return HeaderRules.value(of: "content-type", in: response.headers)?.lowercased().hasPrefix("application/x-ndjson") == true
        }
        let error = ProxyError(.badGateway, message)
        if streamed && flavor == .native {
            var body = ""
            for name in succeeded { body += #"{"status":"# + JSONString.quote("\(name): success") + "}\n" }
            body += error.body(for: .native) + "\n"
            headers.insert(HTTPHeader("Content-Type", "application/x-ndjson"), at: 0)
            return LocalResponse(status: 200, headers: headers, body: Array(body.utf8))
        }
        let status = outcomes.compactMap { entry -> Int? in
            guard entry.outcome != .succeeded, case .success(let response) = entry.result,
                  !(200..<300).contains(response.status) else { return nil }
            return response.status
        }.max() ?? error.status
        var response = LocalResponse.error(error, flavor: flavor)
        response.status = status
        response.headers += headers
        return response
    }
}
