import OllaCore

/// The engine-wide settings every exchange reads.
public struct ProxySettings: Sendable {
    public var connectTimeout: Duration
    /// Nil means no limit.
    public var responseTimeout: Duration?
    public var readTimeout: Duration?
    /// A client that reads nothing for this long is dropped (nil: never).
    public var writeTimeout: Duration?
    public var maxRetries: Int
    public var streamBufferSize: Int
    /// Zero means unlimited.
    public var maxBodySize: Int64

    public init(connectTimeout: Duration, responseTimeout: Duration?, readTimeout: Duration?,
                writeTimeout: Duration?, maxRetries: Int, streamBufferSize: Int, maxBodySize: Int64) {
        self.writeTimeout = writeTimeout
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.readTimeout = readTimeout
        self.maxRetries = maxRetries
        self.streamBufferSize = streamBufferSize
        self.maxBodySize = maxBodySize
    }
}

/// What an exchange needs from the engine that made it.
final class ExchangeContext: Sendable {
    let settings: ProxySettings
    let transport: UpstreamTransport
    private let onFinished: @Sendable (Exchange, AccessRecord) -> Void
    private let onAttemptFailed: @Sendable (Exchange, String, UpstreamFailure) -> Void

    init(settings: ProxySettings, transport: UpstreamTransport,
         onFinished: @escaping @Sendable (Exchange, AccessRecord) -> Void,
         onAttemptFailed: @escaping @Sendable (Exchange, String, UpstreamFailure) -> Void) {
        self.settings = settings
        self.transport = transport
        self.onFinished = onFinished
        self.onAttemptFailed = onAttemptFailed
    }

    func finished(_ exchange: Exchange, record: AccessRecord) { onFinished(exchange, record) }

    func attemptFailed(_ exchange: Exchange, endpoint: String, failure: UpstreamFailure) {
        onAttemptFailed(exchange, endpoint, failure)
    }
}

/// One line of the access log.
public struct AccessRecord: Sendable {
    public var requestID: String
    public var method: String
    public var path: String
    public var model: String?
    public var endpoint: String?
    /// 499 (nginx's convention) when the client left before an answer was queued.
    public var status: Int
    public var bytesSent: Int64
    public var timeToFirstByte: Duration?
    public var duration: Duration
}
