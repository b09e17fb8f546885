import OllaCore

/// The request head as the inbound server received it, before any rule is applied.
public struct InboundHead: Sendable {
    public var method: String
    /// Path and query string exactly as sent: never decoded, never normalised.
    public var rawTarget: String
    public var httpVersion: String
    public var headers: [HTTPHeader]
    public var peerAddress: String

    public init(method: String, rawTarget: String, httpVersion: String, headers: [HTTPHeader], peerAddress: String) {
        self.method = method
        self.rawTarget = rawTarget
        self.httpVersion = httpVersion
        self.headers = headers
        self.peerAddress = peerAddress
    }

    /// Whether the client announced a body (a length above zero, or chunked framing).
    var announcesBody: Bool {
        if let te = HeaderRules.value(of: "transfer-encoding", in: headers), !te.isEmpty { return true }
        if let length = declaredLength { return length > 0 }
        return false
    }

    var declaredLength: Int64? {
        HeaderRules.value(of: "content-length", in: headers).flatMap { Int64($0.trimmingSpaces()) }
    }
}

/// A response Olla makes itself, without a backend.
public struct LocalResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func error(_ error: ProxyError, flavor: APIFlavor, requestID: String? = nil) -> LocalResponse {
        var headers: [HTTPHeader] = [("Content-Type", "application/json; charset=utf-8")]
        if let requestID { headers.append(("X-Olla-Request-ID", requestID)) }
        return LocalResponse(status: error.status, headers: headers, body: Array(error.body(for: flavor, requestID: requestID).utf8))
    }
}

/// One configured backend, as the engine needs it.
public struct EndpointTarget: Sendable, Equatable {
    public var name: String
    /// Scheme, host, port and base path, without a trailing slash.
    public var baseURL: String
    public var priority: Int
    public var extraHeaders: [HTTPHeader]
    /// The API the endpoint speaks, reported to clients as `X-Olla-Backend-Type`.
    public var type: EndpointType

    public init(name: String, baseURL: String, priority: Int, extraHeaders: [HTTPHeader] = [],
                type: EndpointType = .ollama) {
        self.name = name
        self.baseURL = baseURL
        self.priority = priority
        self.extraHeaders = extraHeaders
        self.type = type
    }

    public static func == (a: EndpointTarget, b: EndpointTarget) -> Bool {
        a.name == b.name && a.baseURL == b.baseURL && a.priority == b.priority && a.type == b.type
            && a.extraHeaders.elementsEqual(b.extraHeaders) { $0.name == $1.name && $0.value == $1.value }
    }
}
