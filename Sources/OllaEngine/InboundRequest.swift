import OllaCore

/// The request head as the inbound server received it, before any rule is applied.
public struct InboundHead: Sendable {
    /// The method as sent (`GET`, `POST`, ...).
    public var method: String
    /// Path and query string exactly as sent: never decoded, never normalised.
    public var rawTarget: String
    /// `HTTP/1.0` or `HTTP/1.1`.
    public var httpVersion: String
    /// The request's header fields, in order, names as sent.
    public let headers: [HTTPHeader]
    /// The client's address as text (`127.0.0.1`, `::1`), for `X-Forwarded-For` and the log.
    public var peerAddress: String
    /// How the body is framed (`RequestFraming.decide`), or why the head is refused: decided
    /// once here, from one pass over the headers, for `RequestGate.refuseAmbiguousFraming`
    /// and the two facts below (a second pass for those cost ~0.7 K instructions per request).
    let framing: Result<RequestFraming, ProxyError>
    /// The body's length from `Content-Length` (nil: none, or a head refused for its
    /// framing): the body limit and the state machine ask.
    let declaredLength: Int64?
    /// Whether the client announced a body (a length above zero, or chunked framing).
    let announcesBody: Bool

    /// A head as the server parsed it.
    public init(method: String, rawTarget: String, httpVersion: String, headers: [HTTPHeader], peerAddress: String) {
        self.method = method
        self.rawTarget = rawTarget
        self.httpVersion = httpVersion
        self.headers = headers
        self.peerAddress = peerAddress
        self.framing = Result { () throws(ProxyError) in try RequestFraming.decide(httpVersion: httpVersion, headers: headers) }
        switch framing {
        case .success(.length(let length)):
            (declaredLength, announcesBody) = (length, length > 0)
        case .success(.chunked):
            (declaredLength, announcesBody) = (nil, true)
        case .success(.noBody), .failure:
            // A refused head is answered before anything reads these.
            (declaredLength, announcesBody) = (nil, false)
        }
    }
}

/// A response Olla makes itself, without a backend.
public struct LocalResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// Header fields, in order (no `Content-Length`: the server adds it).
    public var headers: [HTTPHeader]
    /// The whole body.
    public var body: [UInt8]

    /// A response with every part given.
    public init(status: Int, headers: [HTTPHeader], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Olla's error as a JSON response in the route's error shape (`{"error":"..."}` on
    /// `/api/*`, OpenAI's or Anthropic's object on `/v1/*`), with `X-Olla-Request-ID` when known.
    public static func error(_ error: ProxyError, flavor: APIFlavor, requestID: String? = nil) -> LocalResponse {
        var headers: [HTTPHeader] = [HTTPHeader("Content-Type", "application/json; charset=utf-8")]
        if let requestID { headers.append(HTTPHeader("X-Olla-Request-ID", requestID)) }
        return LocalResponse(status: error.status, headers: headers, body: Array(error.body(for: flavor, requestID: requestID).utf8))
    }
}

/// One configured backend, as the engine needs it.
public struct EndpointTarget: Sendable, Equatable {
    /// The endpoint's configured name (`X-Olla-Endpoint`, logs, metrics).
    public var name: String
    /// Scheme, host, port and base path, without a trailing slash.
    public var baseURL: String
    /// Configured priority: higher is preferred.
    public var priority: Int
    /// Headers added to every request sent there (configured, e.g. an API key).
    public var extraHeaders: [HTTPHeader]
    /// The API the endpoint speaks, reported to clients as `X-Olla-Backend-Type`.
    public var type: EndpointType
    /// The endpoint's position in its registry's configuration (`EndpointRegistry.endpoints`)
    /// for a target from a `RoutingSnapshot`: the registry finds its request counts there
    /// without hashing the name. Nil: counted by name.
    public var slot: Int?

    /// A target with every part given.
    public init(name: String, baseURL: String, priority: Int, extraHeaders: [HTTPHeader] = [],
                type: EndpointType = .ollama, slot: Int? = nil) {
        self.name = name
        self.baseURL = baseURL
        self.priority = priority
        self.extraHeaders = extraHeaders
        self.type = type
        self.slot = slot
    }

    /// Equal when every field is (header order included); the slot is not compared.
    public static func == (a: EndpointTarget, b: EndpointTarget) -> Bool {
        a.name == b.name && a.baseURL == b.baseURL && a.priority == b.priority && a.type == b.type
            && a.extraHeaders.elementsEqual(b.extraHeaders) { $0.name == $1.name && $0.value == $1.value }
    }
}
