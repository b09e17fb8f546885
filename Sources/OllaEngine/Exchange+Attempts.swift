import OllaCore

/// Backend attempts: starting a transfer to the machine's chosen instance, and the in-flight
/// accounting (registry counters, the scheduler's attempt record) around it.
extension Exchange {
    /// Starts the transfer the event decided on. Everything it needs came with the action, so
    /// no lock is taken here: the registry and the scheduler are told after the machine's lock
    /// was released, never under it.
    func startAttempt(_ start: Action.Start) {
        let endpoint = start.endpoint
        attemptEnded(start.replacedInFlight, scheduled: start.scheduled)
        context.withRegistry { $0.requestStarted(on: endpoint.name, slot: endpoint.slot) }
        // A first attempt where `admit` or `pump` placed the request is counted there already:
        // telling the scheduler again took its lock only to find it so.
        if start.scheduled, !start.placed, let model = start.model {
            context.withScheduler { $0.attemptStarted(id, model: model, endpoint: endpoint.name) }
        }
        let settings = context.settings
        var request = UpstreamRequest(
            transferID: id,
            url: Self.url(endpoint.baseURL, route.upstreamTarget),
            method: method,
            // `+` copies the array even when nothing is added.
            headers: endpoint.extraHeaders.isEmpty ? requestHeaders : requestHeaders + endpoint.extraHeaders,
            bodyLength: start.bodyLength,
            connectTimeout: settings.connectTimeout,
            firstByteTimeout: settings.responseTimeout,
            idleTimeout: settings.readTimeout)
        if let body = start.body, body.count > 0, body.count <= Self.inlineBodyLimit {
            request.inlineBody = body.bytes  // shared, not copied
        }
        transport.start(request, delegate: self)
    }

    /// `base` followed by `target`, made at its length with two copies: `+` went through
    /// `String.append` (growing the copy of `base` it made, ~0.55 K instructions for a 30-byte URL).
    /// Both are read where they lie (their UTF-8 views copy out with `memcpy`): `withUTF8` on
    /// copies of them retained and released both.
    static func url(_ base: String, _ target: String) -> String {
        String(unsafeUninitializedCapacity: base.utf8.count + target.utf8.count) { buffer in
            let (_, head) = buffer.initialize(from: base.utf8)
            let (_, tail) = UnsafeMutableBufferPointer(rebasing: buffer[head...]).initialize(from: target.utf8)
            return head + tail
        }
    }

    /// Buffered bodies up to this many bytes go to curl whole (chat requests, embeddings):
    /// head and body leave in one write.
    static let inlineBodyLimit = 1 << 20

    /// Stops counting an ended attempt against its endpoint (the count an event took out of
    /// the machine). Returns what the scheduler recorded about it, for a scheduled request.
    @discardableResult
    func attemptEnded(_ inFlight: RequestFacts.InFlight?, scheduled: Bool) -> RunningRequest? {
        guard let inFlight else { return nil }
        context.withRegistry { registry in
            if inFlight.streaming { registry.streamEnded(on: inFlight.endpoint, slot: inFlight.slot) }
            registry.requestEnded(on: inFlight.endpoint, slot: inFlight.slot)
        }
        guard scheduled, let ended = context.withScheduler({ $0.attemptEnded(id) }) else { return nil }
        return ended.request
    }
}
