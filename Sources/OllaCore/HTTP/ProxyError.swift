/// An error Olla answers itself, rendered the way the client's API family expects.
public struct ProxyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, which decides the status and each API family's error type.
    public enum Kind: String, Sendable {
        case badRequest = "bad_request"
        case notFound = "not_found"
        case payloadTooLarge = "payload_too_large"
        case badGateway = "bad_gateway"
        case gatewayTimeout = "gateway_timeout"
        case serviceUnavailable = "service_unavailable"
        case requestTimeout = "request_timeout"
        case internalError = "internal_error"
        case unauthorized = "unauthorized"
        case forbidden = "forbidden"
        case tooManyRequests = "too_many_requests"
        case headersTooLarge = "headers_too_large"
        /// A request feature Olla does not implement, such as a transfer coding other than
        /// chunked (RFC 9112 §6.1).
        case notImplemented = "not_implemented"
    }

    /// What went wrong.
    public let kind: Kind
    /// The human-readable message, sent as the error text.
    public let message: String

    /// Creates an error of `kind` with `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }

    /// Ollama's own words for a missing model, which differ by route
    /// (`OllamaRoute.missingModel`): clients and people match on them (the CLI, "try
    /// pulling it first"). `path` is the forwarded path, without query.
    public static func modelNotFound(_ model: String, path: Substring) -> ProxyError {
        let wording = OllamaRouteTable.route(path: path)?.missingModel ?? .tryPulling
        return ProxyError(.notFound, wording.message(model))
    }

    /// The HTTP status the error is answered with.
    public var status: Int {
        switch kind {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .requestTimeout: 408
        case .payloadTooLarge: 413
        case .tooManyRequests: 429
        case .headersTooLarge: 431
        case .internalError: 500
        case .notImplemented: 501
        case .badGateway: 502
        case .serviceUnavailable: 503
        case .gatewayTimeout: 504
        }
    }

    /// OpenAI's `type` field: the SDKs map statuses to exception classes, the type is for people.
    var openAIType: String {
        switch kind {
        case .badRequest, .payloadTooLarge, .headersTooLarge, .notImplemented: "invalid_request_error"
        case .unauthorized: "authentication_error"
        case .forbidden: "permission_error"
        case .tooManyRequests: "rate_limit_error"
        case .notFound: "not_found_error"
        case .requestTimeout, .gatewayTimeout: "timeout_error"
        case .badGateway, .serviceUnavailable, .internalError: "api_error"
        }
    }

    /// A complete response body in the API family's own error shape: `{"error":"..."}`,
    /// the OpenAI error object, or Anthropic's `{"type":"error","error":{...}}` (which carries
    /// `request_id` when one is given, as Anthropic's and Ollama's do).
    public func body(for flavor: APIFlavor, requestID: String? = nil) -> String {
        switch flavor {
        case .native:
            return #"{"error":"# + JSONString.quote(message) + "}"
        case .openAI, .openAIResponses:
            // `code` is null as in Ollama's own OpenAI-compatible errors.
            return #"{"error":{"message":"# + JSONString.quote(message)
                + #","type":""# + openAIType + #"","param":null,"code":null}}"#
        case .anthropic:
            return anthropicObject + (requestID.map { #","request_id":"# + JSONString.quote($0) } ?? "") + "}"
        }
    }

    /// The last frame of a stream that broke after its head was sent, in the stream's own
    /// framing, so every client's per-line (or per-event) error check sees it. Nil when the
    /// body is not line-framed and appending would corrupt it.
    ///
    /// - Anthropic: `event: error` with `{"type":"error","error":{...}}`, the event the
    ///   Anthropic SDKs raise on (docs.anthropic.com, "Streaming Messages", error events).
    /// - OpenAI Responses: `event: error` with the fields OpenAI documents at the top level
    ///   (`code`, `message`, `param`) and nested under `error` as the live API sends them; the
    ///   OpenAI SDKs raise on a `data` object with an `error` member.
    /// - Other SSE: `data: {"error":{...}}`; NDJSON: `{"error":"..."}`.
    ///
    /// `sequenceNumber` is the Responses event's `sequence_number`: one past the stream's last.
    public func streamTrailer(contentType: String?, flavor: APIFlavor = .native, sequenceNumber: Int? = nil) -> String? {
        let type = contentType?.lowercased() ?? ""
        if type.contains("text/event-stream") {
            switch flavor {
            case .anthropic:
                return "event: error\ndata: " + anthropicObject + "}\n\n"
            case .openAIResponses:
                let fields = #""code":"# + JSONString.quote(kind.rawValue) + #","message":"# + JSONString.quote(message)
                    + #","param":null"#
                let sequence = sequenceNumber.map { #""sequence_number":\#($0),"# } ?? ""
                return #"event: error\#ndata: {"type":"error","# + sequence + fields
                    + #","error":{"type":""# + openAIType + #"","# + fields + "}}\n\n"
            case .native, .openAI:
                return "data: " + body(for: .openAI) + "\n\n"
            }
        }
        if type.contains("ndjson") {
            return body(for: .native) + "\n"
        }
        return nil
    }

    /// Anthropic's error object without its closing brace (a `request_id` may follow).
    private var anthropicObject: String {
        #"{"type":"error","error":{"type":""# + anthropicType + #"","message":"# + JSONString.quote(message) + "}"
    }

    /// Anthropic's `error.type` for the status (docs.anthropic.com/en/api/errors; the same
    /// mapping as Ollama's `anthropic.NewError`): other 4xx are `invalid_request_error`.
    var anthropicType: String {
        switch kind {
        case .badRequest, .requestTimeout, .headersTooLarge, .notImplemented: "invalid_request_error"
        case .unauthorized: "authentication_error"
        case .forbidden: "permission_error"
        case .notFound: "not_found_error"
        case .payloadTooLarge: "request_too_large"
        case .tooManyRequests: "rate_limit_error"
        case .serviceUnavailable: "overloaded_error"
        case .internalError, .badGateway, .gatewayTimeout: "api_error"
        }
    }
}

