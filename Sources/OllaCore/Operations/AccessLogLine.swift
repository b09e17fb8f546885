/// The fields of one access-log line (`msg` "request", level info), written straight into
/// the line's bytes.
///
/// The daemon's line formatter writes any event's metadata in key order, each value a JSON
/// string or number (JSON) or a bare or quoted word (logfmt). An access line built as a
/// `Logger.Metadata` dictionary cost ~12 K instructions to build and ~27 K to format
/// (sorting the keys, a lookup per key, a dynamic cast per value): this type writes the same
/// members in the same order from its stored fields, so the bytes are those of the
/// dictionary's line. Keys, in order: `bytes`, `client`, `completion_tokens`, `duration_ms`,
/// `endpoint`, `method`, `model`, `path`, `prompt_tokens`, `request_id`, `status`, `ttfb_ms`
/// (absent fields are left out).
public struct AccessLogLine: Sendable {
    /// `request_id`: `X-Olla-Request-ID`.
    public var requestID: String?
    /// `method`.
    public var method: String
    /// `path`: the path and query as forwarded, or as requested for Olla's own answers.
    public var path: String
    /// `status`.
    public var status: Int
    /// `bytes`: response body bytes.
    public var bytes: Int64
    /// `duration_ms`, milliseconds.
    public var durationMilliseconds: Int64
    /// `model`.
    public var model: String?
    /// `endpoint`: the instance that answered, `olla` for Olla's own answers.
    public var endpoint: String?
    /// `ttfb_ms`, milliseconds.
    public var timeToFirstByteMilliseconds: Int64?
    /// `prompt_tokens`.
    public var promptTokens: Int?
    /// `completion_tokens`.
    public var completionTokens: Int?
    /// `client`: the client's address (Olla's own answers).
    public var client: String?

    /// Creates a line's fields.
    public init(requestID: String?, method: String, path: String, status: Int, bytes: Int64,
                durationMilliseconds: Int64, model: String? = nil, endpoint: String? = nil,
                timeToFirstByteMilliseconds: Int64? = nil, promptTokens: Int? = nil, completionTokens: Int? = nil,
                client: String? = nil) {
        self.requestID = requestID
        self.method = method
        self.path = path
        self.status = status
        self.bytes = bytes
        self.durationMilliseconds = durationMilliseconds
        self.model = model
        self.endpoint = endpoint
        self.timeToFirstByteMilliseconds = timeToFirstByteMilliseconds
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.client = client
    }

    /// One member per field present, in key order: the text of the fields as a line's
    /// metadata, shared by both formats. `Value` says how each is written.
    public func forEachField(_ body: (Key, Value) -> Void) {
        body(.bytes, .number(bytes))
        if let client { body(.client, .text(client)) }
        if let completionTokens { body(.completionTokens, .number(Int64(completionTokens))) }
        body(.durationMilliseconds, .number(durationMilliseconds))
        if let endpoint { body(.endpoint, .text(endpoint)) }
        body(.method, .text(method))
        if let model { body(.model, .text(model)) }
        body(.path, .text(path))
        if let promptTokens { body(.promptTokens, .number(Int64(promptTokens))) }
        if let requestID { body(.requestID, .text(requestID)) }
        body(.status, .number(Int64(status)))
        if let timeToFirstByteMilliseconds { body(.timeToFirstByteMilliseconds, .number(timeToFirstByteMilliseconds)) }
    }

    /// A field's key, with what each format writes before its value (one append each).
    public struct Key: Sendable {
        /// The key, as metadata names it.
        public let name: StaticString
        /// `,"name":`
        let jsonPrefix: StaticString
        /// ` name=`
        let logfmtPrefix: StaticString

        static let bytes = Key(name: "bytes", jsonPrefix: #","bytes":"#, logfmtPrefix: " bytes=")
        static let client = Key(name: "client", jsonPrefix: #","client":"#, logfmtPrefix: " client=")
        static let completionTokens = Key(name: "completion_tokens", jsonPrefix: #","completion_tokens":"#,
                                          logfmtPrefix: " completion_tokens=")
        static let durationMilliseconds = Key(name: "duration_ms", jsonPrefix: #","duration_ms":"#,
                                              logfmtPrefix: " duration_ms=")
        static let endpoint = Key(name: "endpoint", jsonPrefix: #","endpoint":"#, logfmtPrefix: " endpoint=")
        static let method = Key(name: "method", jsonPrefix: #","method":"#, logfmtPrefix: " method=")
        static let model = Key(name: "model", jsonPrefix: #","model":"#, logfmtPrefix: " model=")
        static let path = Key(name: "path", jsonPrefix: #","path":"#, logfmtPrefix: " path=")
        static let promptTokens = Key(name: "prompt_tokens", jsonPrefix: #","prompt_tokens":"#,
                                      logfmtPrefix: " prompt_tokens=")
        static let requestID = Key(name: "request_id", jsonPrefix: #","request_id":"#, logfmtPrefix: " request_id=")
        static let status = Key(name: "status", jsonPrefix: #","status":"#, logfmtPrefix: " status=")
        static let timeToFirstByteMilliseconds = Key(name: "ttfb_ms", jsonPrefix: #","ttfb_ms":"#,
                                                     logfmtPrefix: " ttfb_ms=")
    }

    /// A field's value: a string, or an integer written in decimal.
    public enum Value: Sendable, Equatable {
        /// Quoted in JSON; in logfmt bare unless it is empty or holds a space, a control
        /// character, `"` or `=`.
        case text(String)
        /// A JSON number; a bare word in logfmt.
        case number(Int64)
    }

    /// Appends `,"key":value` per field, as the JSON formatter writes a line's metadata
    /// after its `msg` (strings escaped as `JSONString` does, without HTML escapes).
    public func appendJSONMembers(to output: inout [UInt8]) {
        forEachField { key, value in
            output.append(contentsOf: key.jsonPrefix.bytes)
            switch value {
            case .text(let text): JSONString.append(text, to: &output, escapingHTML: false)
            case .number(let number): LogLineBytes.appendDecimal(number, to: &output)
            }
        }
    }

    /// Appends ` key=value` per field, as the logfmt formatter writes a line's metadata.
    public func appendLogfmtFields(to output: inout [UInt8]) {
        forEachField { key, value in
            output.append(contentsOf: key.logfmtPrefix.bytes)
            switch value {
            case .text(let text): LogLineBytes.appendLogfmtValue(text, to: &output)
            case .number(let number): LogLineBytes.appendDecimal(number, to: &output)
            }
        }
    }
}
