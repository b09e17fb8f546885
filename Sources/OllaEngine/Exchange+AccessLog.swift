import OllaCore

extension Exchange {
    /// One line of the access log, from the request's facts.
    func accessRecord(_ facts: RequestFacts) -> AccessRecord {
        let now = RequestTime.now
        // The kept tail is read where it lies (up to twice `tailSize`: its last `tailSize` bytes).
        var tokens = facts.tail.isEmpty ? nil : facts.tail.withUnsafeBytes { kept in
            TokenScanner.scan(UnsafeRawBufferPointer(rebasing: kept.suffix(RequestStateMachine.tailSize)), flavor: route.flavor)
        }
        // Counts without timing (the OpenAI, Anthropic and Responses shapes): the stream's
        // own length stands in. Checked in order of cost: a whole answer (not chunked) stops at
        // the first test (a look into the optional counts copies them, ~90 instructions each).
        if facts.responseChunked, tokens != nil, tokens?.evalDuration == nil, let headAt = facts.headAt,
           facts.respondedWithStream {
            tokens?.streamDuration = now - headAt
        }
        return AccessRecord(
            requestID: requestID, method: method, path: route.upstreamTarget,
            model: facts.model, endpoint: facts.loggedEndpoint, status: facts.status ?? 499,
            bytesSent: facts.bytesSent,
            timeToFirstByte: facts.headAt.map { $0 - startedAt },
            duration: now - startedAt,
            tokens: tokens,
            routingDecision: facts.plan?.decision.rawValue, routingReason: facts.plan?.reason)
    }
}

extension AccessRecord {
    /// The access-log line of this record.
    var logLine: AccessLogLine {
        AccessLogLine(requestID: requestID, method: method, path: path, status: status, bytes: bytesSent,
                      durationMilliseconds: duration.wholeMilliseconds, model: model, endpoint: endpoint,
                      timeToFirstByteMilliseconds: timeToFirstByte?.wholeMilliseconds,
                      promptTokens: tokens?.promptTokens, completionTokens: tokens?.completionTokens)
    }
}
