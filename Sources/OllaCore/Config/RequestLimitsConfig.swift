/// The `server.request_limits` section: size limits for incoming requests.
public struct RequestLimitsConfig: Sendable, Equatable {
    /// `max_body_size`: the largest accepted request body in bytes; 0 means unlimited.
    /// Default 100 MiB, enough for multimodal requests with inline images.
    public var maxBodySize: Int
    /// `max_header_size`: the largest accepted request head (request line plus headers)
    /// in bytes, at least 1024. Default 1 MiB.
    public var maxHeaderSize: Int

    /// The valid range of `max_body_size`.
    public static let maxBodySizeRange = 0...Int.max
    /// The valid range of `max_header_size`.
    /// Each connection reserves about this much memory, so the ceiling keeps one setting
    /// from costing gigabytes across thousands of open streams.
    public static let maxHeaderSizeRange = 1_024...1_048_576

    /// Creates request limits; every parameter defaults to the documented default.
    /// The header default is 16 KiB (nginx accepts 8 KiB lines, 32 KiB in all): every open
    /// connection reserves memory for it, and LLM clients send a few hundred bytes.
    public init(maxBodySize: Int = 104_857_600, maxHeaderSize: Int = 16_384) {
        self.maxBodySize = maxBodySize
        self.maxHeaderSize = maxHeaderSize
    }

    /// The limits used when the section is absent.
    public static let defaults = RequestLimitsConfig()
}
