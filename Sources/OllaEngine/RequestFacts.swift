import OllaCore

/// What one request has learnt on its way: the facts its response headers, the access log,
/// in-flight accounting and the scheduler read. Each is kept here and nowhere else; only
/// `RequestStateMachine` writes them, under the exchange's lock.
struct RequestFacts {
    /// The model the body names (nil before routing, or when it names none).
    var model: String?
    /// The router's plan (the scheduler's, once a held request is released).
    var plan: RoutingPlan?
    /// The instance of the latest attempt.
    var endpoint: EndpointTarget?
    /// Every instance of a fan-out.
    var fanOutTargets: [EndpointTarget] = []
    /// The body's length in bytes as the backend gets it: nil without a body, -1 when
    /// unknown (a streamed upload without `Content-Length`, sent chunked).
    var bodyLength: Int64?
    /// When the latest backend head arrived (`X-Olla-Response-Time`, time to first byte).
    /// A `RequestTime`, not a `ContinuousClock.Instant`: with a stored `Instant` these facts
    /// had a layout known only at run time, and every copy, move and destroy of them (several
    /// per request) went through value-witness calls.
    var headAt: RequestTime?
    /// The status of the latest backend head.
    var upstreamStatus: Int?
    /// The request changes what an instance holds (pull, create, copy, delete, a load):
    /// its last line waits until the catalogue shows the change.
    var changesHoldings = false
    /// The status the client got: nil until an answer was queued (logged as 499).
    var status: Int?
    /// Response body bytes handed to the server.
    var bytesSent: Int64 = 0
    /// The backend answer's `Content-Type`.
    var responseContentType: String?
    /// The backend answer has no `Content-Length` (chunked, or close-delimited).
    var responseChunked = true
    /// The answer's last bytes, where the token counts are (`RequestStateMachine.tailSize`;
    /// up to twice that many are kept).
    var tail = AnswerTail()
    /// The instance counting this request as in flight now.
    var inFlight: InFlight?
    /// Whether the scheduler expected the last attempt to load its model (from its record of
    /// the attempt, once it ended; the record itself holds instants, see `headAt`).
    var lastRunExpectedColdLoad = false

    /// An instance's in-flight count that includes this request.
    struct InFlight: Equatable {
        var endpoint: String
        /// Its position in the registry (`EndpointTarget.slot`): counted there without a lookup by name.
        var slot: Int?
        /// Also counted as streaming an answer (a 2xx head came).
        var streaming = false
    }

    /// Whether the answer is a stream of records (SSE or NDJSON) rather than one document.
    var respondedWithStream: Bool {
        guard responseChunked, let type = responseContentType else { return false }
        return type.containsIgnoringASCIICase("text/event-stream") || type.containsIgnoringASCIICase("ndjson")
    }

    /// The endpoint names the access log shows: the attempt's, or every fan-out target.
    var loggedEndpoint: String? {
        fanOutTargets.isEmpty ? endpoint?.name : fanOutTargets.map(\.name).joined(separator: ",")
    }
}
